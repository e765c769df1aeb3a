#pragma once
// induct: the whole library. Include single headers (induct/<module>/<concept>.hpp) for leaner builds.
#include "induct/core/atomic_file.hpp"
#include "induct/core/error.hpp"
#include "induct/core/hash.hpp"
#include "induct/core/log_space.hpp"
#include "induct/core/progress.hpp"
#include "induct/core/random.hpp"
#include "induct/grammar/pcfg.hpp"
#include "induct/setup/config.hpp"
#include "induct/setup/vocabulary.hpp"
#include "induct/setup/world.hpp"
