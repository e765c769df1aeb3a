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
#include "induct/core/linkage.hpp"
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
  INDUCT_DECLARE [[nodiscard]] std::string label() const;

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
  INDUCT_DECLARE sample_result sample(random_engine& rng, bool record_steps = false) const;
  INDUCT_DECLARE sample_result sample(cag_chooser& chooser, bool record_steps = false) const;

  /// The grounded PCFG (start symbol: the start nonterminal's instance).
  INDUCT_DECLARE [[nodiscard]] grounded_cag ground() const;

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
  INDUCT_DECLARE [[nodiscard]] std::string instance_name(std::size_t id, const attribute_value& inherited,
                                                         const cag_environment& env) const;
  INDUCT_DECLARE static std::string iteration_name(const std::string& item, const std::string& separator, const length_law& law,
                                                   int counter, bool last_state);

  /// The alternatives of an instance, memoised by its name.
  INDUCT_DECLARE const std::vector<cag_detail::alternative>& alternatives(std::size_t id, const attribute_value& inherited,
                                                                          const cag_environment& env,
                                                                          const std::string& name) const;

  // ---- sampling ----
  INDUCT_DECLARE attribute_value sample_node(std::size_t id, const attribute_value& inherited, const cag_environment& outer_env,
                                             cag_chooser& chooser, sample_result& result, bool record) const;

  // ---- grounding (defined in detail/cag_impl.hpp) ----
  class grounder;

  std::vector<definition> definitions_;
  std::optional<std::size_t> start_;
  attribute_value start_inherited_;
  mutable std::unordered_map<std::string, std::vector<cag_detail::alternative>> cache_;
};

}  // namespace induct::grammar

#if INDUCT_HEADER_ONLY
#include "induct/grammar/detail/cag_impl.hpp"
#endif
