// induct::compiled: theory/ (bounds, description lengths, predictors, scoring, statistics, version spaces).
#include "induct/theory/detail/bounds_impl.hpp"
#include "induct/theory/detail/description_length_impl.hpp"
#include "induct/theory/detail/generic_predictor_impl.hpp"
#include "induct/theory/detail/idealized_predictor_impl.hpp"
#include "induct/theory/detail/iteration_complexity_impl.hpp"
#include "induct/theory/detail/scoring_impl.hpp"
#include "induct/theory/detail/statistics_impl.hpp"
#include "induct/theory/detail/version_space_impl.hpp"
