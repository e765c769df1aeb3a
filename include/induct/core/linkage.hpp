#pragma once
// Header-only or compiled: how induct's heavy functions are declared and defined.
//
//   header-only (the default)      a heavy function is a function template with one defaulted,
//                                  unused parameter; its body (in detail/*_impl.hpp, included by
//                                  its header) is compiled only in a translation unit that calls
//                                  it, so including a header costs its declarations, not the
//                                  JSON, Eigen and Boost templates of every body behind them.
//   compiled (INDUCT_COMPILED_LIB) the same function is an ordinary declaration; the CMake target
//                                  induct::compiled holds its one definition (src/*.cpp include
//                                  the impl headers), so a consumer compiles declarations only.
//
// Usage, once per heavy function:
//   header:       INDUCT_DECLARE double f(int x, double y = 1.0);
//   impl header:  INDUCT_DEFINE double f(int x, double y) { ... }
//   member:       struct s { INDUCT_DECLARE nlohmann::json to_json() const; };
//                 INDUCT_DEFINE nlohmann::json s::to_json() const { ... }
//   helper used only inside an impl header (no declaration elsewhere):
//                 INDUCT_DETAIL std::string quote(std::string_view text) { ... }
//   an inline function in a public header whose body calls a heavy function or builds JSON
//   (world() : world(setup_config{}) {}): also INDUCT_DETAIL, since a plain inline function's
//   body is compiled in every includer and instantiates whatever it calls, used or not.
// An impl header is included by its own header (header-only mode) and by exactly one src/*.cpp.
// Calls are the same in both modes (`f(3)`): the template parameter is never deduced, so its
// default applies. Not for virtual functions, copy/move constructors or functions whose address
// is taken; class templates (gpt<Scalar>) use `extern template` instead (INDUCT_EXTERN_TEMPLATE).
#if defined(INDUCT_COMPILED_LIB)
#define INDUCT_DECLARE
#define INDUCT_DEFINE
#define INDUCT_DETAIL inline
// In a consumer: the explicit instantiation lives in the compiled library. In the library's own
// sources (INDUCT_COMPILING_LIB) the impl header is followed by the explicit instantiation.
#if defined(INDUCT_COMPILING_LIB)
#define INDUCT_EXTERN_TEMPLATE(...)
#else
#define INDUCT_EXTERN_TEMPLATE(...) extern template __VA_ARGS__;
#endif
#define INDUCT_HEADER_ONLY 0
#else
#define INDUCT_DECLARE template <class = void>
#define INDUCT_DEFINE template <class>
#define INDUCT_DETAIL template <class = void> inline
#define INDUCT_EXTERN_TEMPLATE(...)
#define INDUCT_HEADER_ONLY 1
#endif
