// induct::compiled: setup definitions (each detail/*_impl.hpp is included by exactly one src/*.cpp).
