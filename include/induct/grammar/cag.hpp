#pragma once
// Compositional attribute grammars (CAG): a PCFG whose nonterminals carry attribute values from
// finite domains, written in C++ and grounded into an ordinary induct::grammar::pcfg.
//
// A nonterminal `nonterminal<I, S>` has an inherited attribute of type I (passed down by its
// parent) and a synthesized attribute of type S (passed up); no_attribute means none. Its rules are
// a C++ function of its inherited attribute that lists alternatives, each with a probability (which
// may depend on the attribute) and a body of elements, left to right:
//   emit("[")              a fixed terminal
//   emit(f)                a terminal computed from the frame (e.g. the token of an entity)
//   child(N, f)            nonterminal N with inherited attribute f(frame) (f may read the
//                          synthesized attributes of the children to its left)
//   share<T>("phi", f)     binds a shared variable, visible to the elements to its right and to all
//                          their descendants that declare it in `reads`
//   iterate(N, law, sep, f)  Iter[N]: n >= 1 fresh instances of N (all with inherited attribute
//                          f(frame) and the same shared variables), separated by terminal `sep`,
//                          n drawn from the length law
//   synthesize(f)          the node's synthesized attribute, computed from the frame at the end
// A frame gives the semantic functions the node's inherited attribute, the synthesized attributes
// of the children so far (child index counts child() and iterate() elements), and shared variables.
//
// Attribute types need a label: a function `std::string attribute_label(const T&)` found by
// argument-dependent lookup (provided here for no_attribute, int and std::vector<int>); labels
// must be injective on the values that occur, since they name the grounded nonterminals.
//
// Grounding (finite domains) gives a PCFG over annotated nonterminals `N[inh]{var=value,..}` (and
// `...=syn` for a node whose synthesized value its parent reads): an alternative with probability p
// whose children c_1..c_r synthesize s_1..s_r becomes the rule
//   N[inh]{env}(=s) -> X_1 ... X_r   with probability p * prod_{c_j with S != none} P(s_j | c_j) / P(s | N)
// where P(s | N) is the probability that N synthesizes s (computed exactly by recursion; synthesized
// attributes must not depend on themselves recursively). Iteration grounds into counter states
//   Iter_i -> Item sep Iter_{i+1}  [h(i)]   |   Item  [1 - h(i)],   h(i) = P(n > i | n >= i),
// merging states from law.constant_hazard_from() on, so prod h (1-h) = p(n) exactly. Hence every
// CAG derivation has the same probability as its grounded derivation, and the grounded PCFG
// generates exactly the CAG's distribution over strings (tests/grammar/test_cag.cpp checks both).
//
// Example (tests/grammar/test_cag.cpp): lists `[ x : f(x) ; x : f(x) ; ... ]` sharing one f.
//   cag g;
//   auto entity = g.add<no_attribute, int>("Entity", [](const no_attribute&, const cag_frame&, cag_rules<int>& r) {
//     for (int x = 0; x < 3; ++x) r.alternative(1.0 / 3).emit("e" + std::to_string(x)).synthesize([x](const cag_frame&) { return x; });
//   });
//   auto item = g.add<no_attribute>("Item", [&](const no_attribute&, const cag_frame&, cag_rules<no_attribute>& r) {
//     r.alternative(1.0).child(entity).emit(":").emit([](const cag_frame& f) {
//       return "e" + std::to_string((f.synthesized<int>(0) + f.shared<int>("f")) % 3); });
//   }, {"f"});
//   auto list = g.add<no_attribute>("List", [&](const no_attribute&, const cag_frame&, cag_rules<no_attribute>& r) {
//     for (int shift = 0; shift < 2; ++shift)
//       r.alternative(0.5).emit("[").share<int>("f", [shift](const cag_frame&) { return shift; })
//        .iterate(item, length_law::geometric(2.0, 4), ";").emit("]");
//   });
//   g.set_start(list);
//   auto s = g.sample(rng);          // tokens, log2_probability, grounded steps
//   grounded_cag p = g.ground();     // p.grammar is an ordinary pcfg
#include <any>
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "induct/core/error.hpp"
#include "induct/core/random.hpp"
#include "induct/grammar/derivation.hpp"
#include "induct/grammar/length_law.hpp"
#include "induct/grammar/pcfg.hpp"

namespace induct::grammar {

/// The attribute type of nonterminals without an attribute.
struct no_attribute {
  friend bool operator==(const no_attribute&, const no_attribute&) = default;
};
inline std::string attribute_label(const no_attribute&) { return {}; }
inline std::string attribute_label(int value) { return std::to_string(value); }
inline std::string attribute_label(const std::vector<int>& values) {
  std::string text;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) text += ',';
    text += std::to_string(values[i]);
  }
  return text;
}

/// A type-erased attribute value with its label.
class attribute_value {
 public:
  attribute_value() : data_(no_attribute{}) {}
  template <class T>
  static attribute_value of(T value) {
    attribute_value a;
    a.label_ = attribute_label(value);
    a.data_ = std::move(value);
    return a;
  }
  template <class T>
  [[nodiscard]] const T& as(const std::string& what) const {
    if (const T* p = std::any_cast<T>(&data_)) return *p;
    throw grammar_error("CAG: " + what + " is read with a type different from the one it was given");
  }
  [[nodiscard]] const std::string& label() const noexcept { return label_; }

 private:
  std::any data_;
  std::string label_;
};

/// Shared variables in scope: latest binding of a name wins.
class cag_environment {
 public:
  [[nodiscard]] const attribute_value* find(const std::string& name) const {
    for (auto it = bindings_.rbegin(); it != bindings_.rend(); ++it)
      if (it->first == name) return &it->second;
    return nullptr;
  }
  [[nodiscard]] cag_environment bound(const std::string& name, attribute_value value) const {
    cag_environment e;
    for (const auto& b : bindings_)
      if (b.first != name) e.bindings_.push_back(b);
    e.bindings_.emplace_back(name, std::move(value));
    return e;
  }
  /// Only the variables in `names` (what a nonterminal declares it reads).
  [[nodiscard]] cag_environment restricted(const std::set<std::string>& names) const {
    cag_environment e;
    for (const auto& b : bindings_)
      if (names.count(b.first)) e.bindings_.push_back(b);
    return e;
  }
  /// "{a=1,b=2}" sorted by name, "" if empty.
  [[nodiscard]] std::string label() const {
    if (bindings_.empty()) return {};
    std::map<std::string, std::string> sorted;
    for (const auto& b : bindings_) sorted[b.first] = b.second.label();
    std::string text = "{";
    bool first = true;
    for (const auto& [name, value] : sorted) {
      if (!first) text += ',';
      first = false;
      text += name + "=" + value;
    }
    return text + "}";
  }

 private:
  std::vector<std::pair<std::string, attribute_value>> bindings_;
};

/// What semantic functions see: the node's inherited attribute, its children's synthesized
/// attributes so far, and the shared variables in scope.
class cag_frame {
 public:
  template <class T>
  [[nodiscard]] const T& inherited() const {
    return inherited_->as<T>("the inherited attribute of " + *node_);
  }
  template <class T>
  [[nodiscard]] const T& synthesized(std::size_t child) const {
    if (child >= synthesized_.size())
      throw grammar_error("CAG: " + *node_ + " reads the synthesized attribute of child " + std::to_string(child) +
                          " before that child (only children to the left are available)");
    return synthesized_[child].as<T>("the synthesized attribute of child " + std::to_string(child) + " of " + *node_);
  }
  template <class T>
  [[nodiscard]] const T& shared(const std::string& name) const {
    const attribute_value* v = environment_->find(name);
    if (!v)
      throw grammar_error("CAG: " + *node_ + " reads shared variable '" + name +
                          "', which is not bound above it or not declared in the `reads` of every nonterminal in between");
    return v->as<T>("shared variable '" + name + "' in " + *node_);
  }
  [[nodiscard]] std::size_t children() const noexcept { return synthesized_.size(); }

 private:
  friend class cag;
  const std::string* node_ = nullptr;
  const attribute_value* inherited_ = nullptr;
  const cag_environment* environment_ = nullptr;
  std::vector<attribute_value> synthesized_;
};

/// A nonterminal handle with inherited attribute type I and synthesized attribute type S.
template <class I = no_attribute, class S = no_attribute>
struct nonterminal {
  std::size_t id = 0;
};

namespace cag_detail {
struct element {
  enum class kind { terminal, computed_terminal, child, share, iterate } what = kind::terminal;
  std::string text;                                            // terminal text, shared variable name, or separator
  std::function<std::string(const cag_frame&)> terminal;       // computed terminal
  std::size_t nonterminal = 0;                                 // child or iterated item
  std::function<attribute_value(const cag_frame&)> value;      // child/item inherited value, or shared value
  std::optional<length_law> law;                               // iterate
};
struct alternative {
  double probability = 0;
  std::vector<element> body;
  std::function<attribute_value(const cag_frame&)> synthesize;  // empty: no_attribute
};
}  // namespace cag_detail

/// One alternative under construction (fluent).
template <class S>
class cag_alternative {
 public:
  // Holds the list and an index (not a pointer to the element), so a builder stays valid when
  // further alternatives are added.
  cag_alternative(std::vector<cag_detail::alternative>& list, std::size_t index) : list_(&list), index_(index) {}

  cag_alternative& emit(std::string terminal) {
    if (terminal.empty()) throw grammar_error("CAG: empty terminal");
    cag_detail::element e;
    e.text = std::move(terminal);
    target().body.push_back(std::move(e));
    return *this;
  }
  /// A terminal computed from the frame (e.g. the token of an entity attribute).
  template <class F>
    requires std::is_invocable_r_v<std::string, F, const cag_frame&>
  cag_alternative& emit(F terminal) {
    cag_detail::element e;
    e.what = cag_detail::element::kind::computed_terminal;
    e.terminal = std::move(terminal);
    target().body.push_back(std::move(e));
    return *this;
  }
  cag_alternative& emit(const char* terminal) { return emit(std::string(terminal)); }

  /// A child without an inherited attribute.
  template <class CS>
  cag_alternative& child(nonterminal<no_attribute, CS> n) {
    return child(n, [](const cag_frame&) { return no_attribute{}; });
  }
  /// A child whose inherited attribute is `inherit(frame)`.
  template <class CI, class CS, class F>
  cag_alternative& child(nonterminal<CI, CS> n, F inherit) {
    cag_detail::element e;
    e.what = cag_detail::element::kind::child;
    e.nonterminal = n.id;
    e.value = [inherit = std::move(inherit)](const cag_frame& f) { return attribute_value::of<CI>(inherit(f)); };
    target().body.push_back(std::move(e));
    return *this;
  }
  /// Binds shared variable `name` to `value(frame)` for the elements to the right and their descendants.
  template <class T, class F>
  cag_alternative& share(std::string name, F value) {
    cag_detail::element e;
    e.what = cag_detail::element::kind::share;
    e.text = std::move(name);
    e.value = [value = std::move(value)](const cag_frame& f) { return attribute_value::of<T>(value(f)); };
    target().body.push_back(std::move(e));
    return *this;
  }
  /// Iter[item]: n >= 1 instances of `item` separated by `separator` ("" for none), n ~ law.
  template <class CI>
  cag_alternative& iterate(nonterminal<CI, no_attribute> item, length_law law, std::string separator = {}) {
    static_assert(std::is_same_v<CI, no_attribute>, "give the items' inherited attribute: iterate(item, law, sep, f)");
    return iterate(item, std::move(law), std::move(separator), [](const cag_frame&) { return no_attribute{}; });
  }
  template <class CI, class F>
  cag_alternative& iterate(nonterminal<CI, no_attribute> item, length_law law, std::string separator, F inherit) {
    cag_detail::element e;
    e.what = cag_detail::element::kind::iterate;
    e.nonterminal = item.id;
    e.text = std::move(separator);
    e.law = std::move(law);
    e.value = [inherit = std::move(inherit)](const cag_frame& f) { return attribute_value::of<CI>(inherit(f)); };
    target().body.push_back(std::move(e));
    return *this;
  }
  /// The node's synthesized attribute, computed at the end of the body.
  template <class F>
  cag_alternative& synthesize(F value) {
    target().synthesize = [value = std::move(value)](const cag_frame& f) { return attribute_value::of<S>(value(f)); };
    return *this;
  }

 private:
  cag_detail::alternative& target() const { return (*list_)[index_]; }
  std::vector<cag_detail::alternative>* list_;
  std::size_t index_;
};

/// The alternatives of one nonterminal instance, listed by its rule function.
template <class S>
class cag_rules {
 public:
  explicit cag_rules(std::vector<cag_detail::alternative>& out) : out_(&out) {}
  /// A new alternative with probability `probability` (alternatives of a node must sum to 1).
  cag_alternative<S> alternative(double probability) {
    if (!std::isfinite(probability) || probability < 0 || probability > 1)
      throw grammar_error("CAG: alternative probability " + std::to_string(probability) + " is outside [0, 1]");
    out_->push_back(cag_detail::alternative{probability, {}, {}});
    return cag_alternative<S>(*out_, out_->size() - 1);
  }

 private:
  std::vector<cag_detail::alternative>* out_;
};

/// One rule of a grounded derivation, by names (the CAG sampler records these in preorder).
struct grounded_step {
  std::string lhs;
  std::vector<std::pair<bool, std::string>> rhs;  // (is_terminal, name)
};

/// A grounded CAG: the PCFG plus a lookup from grounded steps to its rules.
struct grounded_cag {
  pcfg grammar;
  std::unordered_map<std::string, std::uint32_t> rule_by_key;

  static std::string key(const grounded_step& s) {
    std::string k = s.lhs + " ->";
    for (const auto& [terminal, name] : s.rhs) k += (terminal ? " \"" : " ") + name + (terminal ? "\"" : "");
    return k;
  }
  /// The grounded derivation (rule indices in preorder) of a CAG sample's steps.
  [[nodiscard]] derivation to_derivation(const std::vector<grounded_step>& steps) const {
    derivation d;
    for (const auto& s : steps) {
      auto it = rule_by_key.find(key(s));
      if (it == rule_by_key.end()) throw grammar_error("CAG: grounded rule not found: " + key(s));
      d.rules.push_back(it->second);
    }
    return d;
  }
};

/// How a CAG sample makes its choices: random (from an engine), or replayed from a record.
class cag_chooser {
 public:
  virtual ~cag_chooser() = default;
  virtual std::size_t choose_alternative(std::span<const double> probabilities) = 0;
  virtual int choose_length(const length_law& law) = 0;
};

class random_cag_chooser final : public cag_chooser {
 public:
  explicit random_cag_chooser(random_engine& rng) : rng_(&rng) {}
  std::size_t choose_alternative(std::span<const double> probabilities) override { return rng_->categorical(probabilities); }
  int choose_length(const length_law& law) override { return law.sample(*rng_); }

 private:
  random_engine* rng_;
};

/// A compositional attribute grammar. Sampling and grounding memoise each nonterminal instance's
/// alternatives, so a cag object is not safe to use from several threads at once.
class cag {
 public:
  struct sample_result {
    std::vector<std::string> tokens;
    double log2_probability = 0.0;
    std::vector<grounded_step> steps;  // the grounded derivation, preorder (if requested)
  };

  /// Declares a nonterminal whose rules are `rules(const I&, const cag_frame&, cag_rules<S>&)`;
  /// `reads` lists the shared variables it or any of its descendants read.
  template <class I = no_attribute, class S = no_attribute, class Rules>
  nonterminal<I, S> add(std::string name, Rules rules, std::set<std::string> reads = {}) {
    for (const auto& d : definitions_)
      if (d.name == name) throw grammar_error("CAG: nonterminal '" + name + "' defined twice");
    definition d;
    d.name = std::move(name);
    d.reads = std::move(reads);
    d.has_synthesized = !std::is_same_v<S, no_attribute>;
    d.rules = [rules = std::move(rules)](const attribute_value& inherited, const cag_frame& frame,
                                         std::vector<cag_detail::alternative>& out) {
      cag_rules<S> r(out);
      rules(inherited.as<I>("the inherited attribute"), frame, r);
    };
    definitions_.push_back(std::move(d));
    return nonterminal<I, S>{definitions_.size() - 1};
  }

  template <class I>
  void set_start(nonterminal<I, no_attribute> start, I inherited = {}) {
    start_ = start.id;
    start_inherited_ = attribute_value::of<I>(std::move(inherited));
  }

  /// Samples a derivation with its log2-probability; `record_steps` also returns its grounded rules.
  sample_result sample(random_engine& rng, bool record_steps = false) const {
    random_cag_chooser chooser(rng);
    return sample(chooser, record_steps);
  }
  sample_result sample(cag_chooser& chooser, bool record_steps = false) const {
    sample_result result;
    sample_node(start(), start_inherited_, cag_environment{}, chooser, result, record_steps);
    return result;
  }

  /// The grounded PCFG (start symbol: the start nonterminal's instance).
  [[nodiscard]] grounded_cag ground() const {
    grounder g(*this);
    return g.run();
  }

  [[nodiscard]] const std::string& name(std::size_t id) const { return definitions_.at(id).name; }

 private:
  struct definition {
    std::string name;
    std::set<std::string> reads;
    bool has_synthesized = false;
    std::function<void(const attribute_value&, const cag_frame&, std::vector<cag_detail::alternative>&)> rules;
  };

  [[nodiscard]] std::size_t start() const {
    if (!start_) throw grammar_error("CAG: no start nonterminal (call set_start)");
    return *start_;
  }

  /// Name of a nonterminal instance (without its synthesized value).
  [[nodiscard]] std::string instance_name(std::size_t id, const attribute_value& inherited, const cag_environment& env) const {
    std::string n = definitions_[id].name;
    if (!inherited.label().empty()) n += "[" + inherited.label() + "]";
    return n + env.label();
  }
  static std::string iteration_name(const std::string& item, const std::string& separator, const length_law& law, int counter,
                                    bool last_state) {
    return "Iter<" + item + "|" + separator + "|" + law.to_json().dump() + ">#" + std::to_string(counter) + (last_state ? "+" : "");
  }

  /// The alternatives of an instance, memoised by its name.
  const std::vector<cag_detail::alternative>& alternatives(std::size_t id, const attribute_value& inherited,
                                                           const cag_environment& env, const std::string& name) const {
    auto it = cache_.find(name);
    if (it != cache_.end()) return it->second;
    std::vector<cag_detail::alternative> out;
    cag_frame frame;
    frame.node_ = &definitions_[id].name;
    frame.inherited_ = &inherited;
    frame.environment_ = &env;
    definitions_[id].rules(inherited, frame, out);
    if (out.empty()) throw grammar_error("CAG: nonterminal " + name + " has no alternatives");
    long double total = 0;
    for (const auto& a : out) total += a.probability;
    if (std::abs(static_cast<double>(total) - 1.0) > 1e-9)
      throw grammar_error("CAG: alternatives of " + name + " sum to " + std::to_string(static_cast<double>(total)) + ", not 1");
    return cache_.emplace(name, std::move(out)).first->second;
  }

  // ---- sampling ----
  attribute_value sample_node(std::size_t id, const attribute_value& inherited, const cag_environment& outer_env,
                              cag_chooser& chooser, sample_result& result, bool record) const {
    const cag_environment env = outer_env.restricted(definitions_[id].reads);
    const std::string name = instance_name(id, inherited, env);
    const auto& alts = alternatives(id, inherited, env, name);
    std::vector<double> probabilities(alts.size());
    for (std::size_t i = 0; i < alts.size(); ++i) probabilities[i] = alts[i].probability;
    const std::size_t chosen = chooser.choose_alternative(probabilities);
    if (chosen >= alts.size() || !(alts[chosen].probability > 0))
      throw grammar_error("CAG: choice " + std::to_string(chosen) + " is not a possible alternative of " + name);
    const auto& alt = alts[chosen];
    result.log2_probability += std::log2(alt.probability);
    std::size_t step_index = 0;
    if (record) {
      step_index = result.steps.size();
      result.steps.emplace_back();
    }
    std::vector<std::pair<bool, std::string>> rhs;
    cag_frame frame;
    frame.node_ = &definitions_[id].name;
    frame.inherited_ = &inherited;
    cag_environment current = env;
    frame.environment_ = &current;
    for (const auto& e : alt.body) {
      using k = cag_detail::element::kind;
      switch (e.what) {
        case k::terminal:
          result.tokens.push_back(e.text);
          rhs.emplace_back(true, e.text);
          break;
        case k::computed_terminal: {
          std::string t = e.terminal(frame);
          if (t.empty()) throw grammar_error("CAG: " + name + " computed an empty terminal");
          result.tokens.push_back(t);
          rhs.emplace_back(true, std::move(t));
          break;
        }
        case k::child: {
          const attribute_value child_inherited = e.value(frame);
          const cag_environment child_env = current.restricted(definitions_[e.nonterminal].reads);
          attribute_value s = sample_node(e.nonterminal, child_inherited, current, chooser, result, record);
          std::string child_name = instance_name(e.nonterminal, child_inherited, child_env);
          if (definitions_[e.nonterminal].has_synthesized) child_name += "=" + s.label();
          rhs.emplace_back(false, std::move(child_name));
          frame.synthesized_.push_back(std::move(s));
          break;
        }
        case k::share:
          current = current.bound(e.text, e.value(frame));
          break;
        case k::iterate: {
          const attribute_value item_inherited = e.value(frame);
          const int n = chooser.choose_length(*e.law);
          if (!(e.law->pmf(n) > 0)) throw grammar_error("CAG: length " + std::to_string(n) + " is impossible in " + name);
          result.log2_probability += e.law->log2_pmf(n);
          const cag_environment item_env = current.restricted(definitions_[e.nonterminal].reads);
          const std::string item_name = instance_name(e.nonterminal, item_inherited, item_env);
          const int last = e.law->constant_hazard_from();
          rhs.emplace_back(false, iteration_name(item_name, e.text, *e.law, 1, 1 >= last));
          for (int i = 1; i <= n; ++i) {
            if (record) {
              grounded_step step;
              step.lhs = iteration_name(item_name, e.text, *e.law, std::min(i, last), i >= last);
              step.rhs.emplace_back(false, item_name);
              if (i < n) {
                if (!e.text.empty()) step.rhs.emplace_back(true, e.text);
                step.rhs.emplace_back(false, iteration_name(item_name, e.text, *e.law, std::min(i + 1, last), i + 1 >= last));
              }
              result.steps.push_back(std::move(step));
            }
            sample_node(e.nonterminal, item_inherited, current, chooser, result, record);
            if (i < n && !e.text.empty()) result.tokens.push_back(e.text);
          }
          frame.synthesized_.emplace_back();
          break;
        }
      }
    }
    attribute_value synthesized = alt.synthesize ? alt.synthesize(frame) : attribute_value{};
    if (record) {
      auto& step = result.steps[step_index];
      step.lhs = name + (definitions_[id].has_synthesized ? "=" + synthesized.label() : "");
      step.rhs = std::move(rhs);
    }
    return synthesized;
  }

  // ---- grounding ----
  class grounder {
   public:
    explicit grounder(const cag& g) : g_(g) {}

    grounded_cag run() {
      const std::size_t start = g_.start();
      if (g_.definitions_[start].has_synthesized) throw grammar_error("CAG: the start nonterminal must not synthesize");
      const symbol_id s = instance_symbol(start, g_.start_inherited_, cag_environment{}, nullptr);
      out_.grammar.set_start(s);
      while (!pending_.empty()) {
        auto job = std::move(pending_.back());
        pending_.pop_back();
        job();
      }
      return std::move(out_);
    }

   private:
    using syn_distribution = std::vector<std::pair<attribute_value, long double>>;

    /// Calls `done(frame, probability, rhs)` for each way (alternative x children's synthesized
    /// values) of expanding the instance; rhs holds grounded symbols if `build`.
    template <class Done>
    void expand(std::size_t id, const attribute_value& inherited, const cag_environment& env, const std::string& name,
                bool build, Done&& done) {
      const auto& alts = g_.alternatives(id, inherited, env, name);
      for (const auto& alt : alts) {
        if (!(alt.probability > 0)) continue;
        cag_frame frame;
        frame.node_ = &g_.definitions_[id].name;
        frame.inherited_ = &inherited;
        std::vector<symbol_id> rhs;
        walk(alt, 0, frame, env, static_cast<long double>(alt.probability), rhs, build, done);
      }
    }

    template <class Done>
    void walk(const cag_detail::alternative& alt, std::size_t at, cag_frame& frame, const cag_environment& env,
              long double probability, std::vector<symbol_id>& rhs, bool build, Done& done) {
      frame.environment_ = &env;
      if (at == alt.body.size()) {
        done(alt, frame, probability, rhs);
        return;
      }
      const auto& e = alt.body[at];
      using k = cag_detail::element::kind;
      switch (e.what) {
        case k::terminal:
        case k::computed_terminal: {
          if (build) {
            const std::string t = e.what == k::terminal ? e.text : e.terminal(frame);
            if (t.empty()) throw grammar_error("CAG: computed an empty terminal");
            rhs.push_back(out_.grammar.terminal(t));
          }
          walk(alt, at + 1, frame, env, probability, rhs, build, done);
          if (build) rhs.pop_back();
          return;
        }
        case k::share: {
          const cag_environment bound = env.bound(e.text, e.value(frame));
          walk(alt, at + 1, frame, bound, probability, rhs, build, done);
          frame.environment_ = &env;
          return;
        }
        case k::iterate: {
          if (build) {
            const attribute_value item_inherited = e.value(frame);
            rhs.push_back(iteration_symbol(e.nonterminal, item_inherited, env, e.text, *e.law, 1));
          }
          frame.synthesized_.emplace_back();
          walk(alt, at + 1, frame, env, probability, rhs, build, done);
          frame.synthesized_.pop_back();
          if (build) rhs.pop_back();
          return;
        }
        case k::child: {
          const attribute_value child_inherited = e.value(frame);
          const auto& d = g_.definitions_[e.nonterminal];
          if (!d.has_synthesized) {
            if (build) rhs.push_back(instance_symbol(e.nonterminal, child_inherited, env, nullptr));
            frame.synthesized_.emplace_back();
            walk(alt, at + 1, frame, env, probability, rhs, build, done);
            frame.synthesized_.pop_back();
            if (build) rhs.pop_back();
            return;
          }
          const syn_distribution dist = distribution(e.nonterminal, child_inherited, env);
          for (const auto& [value, p] : dist) {
            if (build) rhs.push_back(instance_symbol(e.nonterminal, child_inherited, env, &value));
            frame.synthesized_.push_back(value);
            walk(alt, at + 1, frame, env, probability * p, rhs, build, done);
            frame.synthesized_.pop_back();
            if (build) rhs.pop_back();
            frame.environment_ = &env;
          }
          return;
        }
      }
    }

    /// P(the instance synthesizes s), for each s with positive probability (exact, memoised).
    syn_distribution distribution(std::size_t id, const attribute_value& inherited, const cag_environment& outer_env) {
      const cag_environment env = outer_env.restricted(g_.definitions_[id].reads);
      const std::string name = g_.instance_name(id, inherited, env);
      if (auto it = distributions_.find(name); it != distributions_.end()) return it->second;
      if (!in_progress_.insert(name).second)
        throw grammar_error("CAG: the synthesized attribute of " + name +
                            " depends on itself recursively; grounding supports only non-recursive synthesized attributes");
      std::map<std::string, std::pair<attribute_value, long double>> by_label;
      expand(id, inherited, env, name, false,
             [&](const cag_detail::alternative& alt, const cag_frame& frame, long double p, const std::vector<symbol_id>&) {
               attribute_value s = alt.synthesize ? alt.synthesize(frame) : attribute_value{};
               auto [it, fresh] = by_label.try_emplace(s.label(), s, 0.0L);
               it->second.second += p;
             });
      in_progress_.erase(name);
      syn_distribution dist;
      for (auto& [label, entry] : by_label) dist.push_back(std::move(entry));
      return distributions_.emplace(name, std::move(dist)).first->second;
    }

    /// The grounded symbol of an instance (restricting the environment to what it reads), queued
    /// for expansion when new. `synthesized` non-null: the instance restricted to that value.
    symbol_id instance_symbol(std::size_t id, const attribute_value& inherited, const cag_environment& outer_env,
                              const attribute_value* synthesized) {
      const cag_environment env = outer_env.restricted(g_.definitions_[id].reads);
      const std::string base = g_.instance_name(id, inherited, env);
      const std::string name = synthesized ? base + "=" + synthesized->label() : base;
      if (auto found = out_.grammar.find_nonterminal(name)) return *found;
      const symbol_id symbol = out_.grammar.nonterminal(name);
      std::optional<attribute_value> target;
      if (synthesized) target = *synthesized;
      pending_.push_back([this, id, inherited, env, base, symbol, target]() {
        long double normaliser = 1;
        if (target) {
          normaliser = 0;
          for (const auto& [value, p] : distribution(id, inherited, env))
            if (value.label() == target->label()) normaliser = p;
        }
        expand(id, inherited, env, base, true,
               [&](const cag_detail::alternative& alt, const cag_frame& frame, long double p, const std::vector<symbol_id>& rhs) {
                 if (target) {
                   const attribute_value s = alt.synthesize ? alt.synthesize(frame) : attribute_value{};
                   if (s.label() != target->label()) return;
                 }
                 add_rule(symbol, rhs, p / normaliser);
               });
      });
      return symbol;
    }

    symbol_id iteration_symbol(std::size_t item, const attribute_value& inherited, const cag_environment& outer_env,
                               const std::string& separator, const length_law& law, int counter) {
      const int last = law.constant_hazard_from();
      counter = std::min(counter, last);
      const cag_environment env = outer_env.restricted(g_.definitions_[item].reads);
      const std::string item_name = g_.instance_name(item, inherited, env);
      const std::string name = iteration_name(item_name, separator, law, counter, counter >= last);
      if (auto found = out_.grammar.find_nonterminal(name)) return *found;
      const symbol_id symbol = out_.grammar.nonterminal(name);
      pending_.push_back([this, item, inherited, env, separator, law, counter, symbol]() {
        const symbol_id item_symbol = instance_symbol(item, inherited, env, nullptr);
        const double h = law.continue_probability(counter);
        if (h < 1) add_rule(symbol, {item_symbol}, 1 - static_cast<long double>(h));
        if (h > 0) {
          std::vector<symbol_id> rhs{item_symbol};
          if (!separator.empty()) rhs.push_back(out_.grammar.terminal(separator));
          rhs.push_back(iteration_symbol(item, inherited, env, separator, law, counter + 1));
          add_rule(symbol, rhs, h);
        }
      });
      return symbol;
    }

    void add_rule(symbol_id lhs, const std::vector<symbol_id>& rhs, long double probability) {
      grounded_step step;
      step.lhs = out_.grammar.name(lhs);
      for (symbol_id s : rhs) step.rhs.emplace_back(out_.grammar.is_terminal(s), out_.grammar.name(s));
      const std::string key = grounded_cag::key(step);
      if (auto it = out_.rule_by_key.find(key); it != out_.rule_by_key.end()) {
        // The same grounded rule reached twice: one rule with the summed probability.
        const auto r = it->second;
        out_.grammar.set_probability(r, out_.grammar.rules()[r].probability + static_cast<double>(probability));
        return;
      }
      const auto index = out_.grammar.add_rule(lhs, rhs, static_cast<double>(probability));
      out_.rule_by_key.emplace(key, static_cast<std::uint32_t>(index));
    }

    const cag& g_;
    grounded_cag out_;
    std::vector<std::function<void()>> pending_;
    std::unordered_map<std::string, syn_distribution> distributions_;
    std::set<std::string> in_progress_;
  };

  std::vector<definition> definitions_;
  std::optional<std::size_t> start_;
  attribute_value start_inherited_;
  mutable std::unordered_map<std::string, std::vector<cag_detail::alternative>> cache_;
};

}  // namespace induct::grammar
