// induct::compiled: experiment_evaluation definitions (each detail/*_impl.hpp is included by exactly one src/*.cpp).
