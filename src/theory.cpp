// induct::compiled: theory/ (bounds, description lengths, predictors, scoring, statistics).
#include "induct/theory/detail/statistics_impl.hpp"
