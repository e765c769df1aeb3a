// induct::compiled: nn/ (the GPT, its optimizer, data, checkpoints, trainer and decoding).
#include "induct/nn/detail/adamw_impl.hpp"
#include "induct/nn/detail/checkpoint_impl.hpp"
#include "induct/nn/detail/data_parallel_impl.hpp"
#include "induct/nn/detail/data_impl.hpp"
#include "induct/nn/detail/generate_impl.hpp"
#include "induct/nn/detail/gpt_config_impl.hpp"
#include "induct/nn/detail/gpt_impl.hpp"
#include "induct/nn/detail/parameters_impl.hpp"
#include "induct/nn/detail/safetensors_impl.hpp"
#include "induct/nn/detail/token_text_impl.hpp"
#include "induct/nn/detail/trainer_impl.hpp"

// The specializations the headers declare `extern template`: float (training, inference) and double
// (the gradient checks and the decoder tests); the trainer runs float only.
namespace induct::nn {

template class gpt<float>;
template class gpt<double>;
template class adamw<float>;
template class adamw<double>;
template class kv_cache_decoder<float>;
template class kv_cache_decoder<double>;
template class trainer<float>;
template class batch_gradient<float>;
template class batch_gradient<double>;

template double gradient_norm<float>(std::span<const float>);
template double gradient_norm<double>(std::span<const double>);
template double clip_gradient_norm<float>(std::span<float>, double);
template double clip_gradient_norm<double>(std::span<double>, double);

template generation generate_greedy<float>(const gpt<float>&, std::span<const std::int32_t>, int,
                                           std::span<const std::int32_t>);
template generation generate_greedy<double>(const gpt<double>&, std::span<const std::int32_t>, int,
                                            std::span<const std::int32_t>);
template std::vector<double> next_token_log_probs<float>(gpt<float>&, std::span<const std::int32_t>);
template std::vector<double> next_token_log_probs<double>(gpt<double>&, std::span<const std::int32_t>);

template safetensors_writer model_checkpoint_writer<float>(const gpt<float>&, const checkpoint_info&);
template safetensors_writer model_checkpoint_writer<double>(const gpt<double>&, const checkpoint_info&);
template void write_model_checkpoint<float>(const std::filesystem::path&, const gpt<float>&, const checkpoint_info&);
template void write_model_checkpoint<double>(const std::filesystem::path&, const gpt<double>&, const checkpoint_info&);
template gpt<float> read_model_checkpoint<float>(const std::filesystem::path&, checkpoint_info*, const gpt_config*,
                                                 std::uint32_t*);
template gpt<double> read_model_checkpoint<double>(const std::filesystem::path&, checkpoint_info*, const gpt_config*,
                                                   std::uint32_t*);
template void save_checkpoint<float>(const std::filesystem::path&, const gpt<float>&, const checkpoint_info&,
                                     const training_state<float>&);
template void save_checkpoint<double>(const std::filesystem::path&, const gpt<double>&, const checkpoint_info&,
                                      const training_state<double>&);
template loaded_checkpoint<float> load_checkpoint<float>(const std::filesystem::path&, const gpt_config*);
template loaded_checkpoint<double> load_checkpoint<double>(const std::filesystem::path&, const gpt_config*);

}  // namespace induct::nn
