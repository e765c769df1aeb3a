// induct::compiled: experiment_reports definitions (each detail/*_impl.hpp is included by exactly one src/*.cpp).
