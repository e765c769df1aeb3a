// induct::compiled: grammar definitions (each detail/*_impl.hpp is included by exactly one src/*.cpp).
