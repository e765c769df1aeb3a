#include <doctest/doctest.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/nn/safetensors.hpp"

using induct::file_error;
using induct::nn::safetensors_file;
using induct::nn::safetensors_writer;
using induct::nn::tensor_dtype;

namespace {

// A file assembled by hand: little-endian size field, header text, data bytes.
std::string assemble(const std::string& header, const std::string& data) {
  std::string out;
  std::uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xffU));
  return out + header + data;
}

std::string error_of(const std::string& bytes) {
  try {
    (void)safetensors_file::parse(bytes, "probe.safetensors");
  } catch (const file_error& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("safetensors: byte layout of a hand-checked file") {
  safetensors_writer w;
  w.add<float>("a", {2}, std::vector<float>{1.0f, -2.0f});
  const std::string bytes = w.serialize();
  // size field, then the JSON header padded with spaces to a multiple of 8, then 8 data bytes.
  const std::uint64_t header_size = static_cast<unsigned char>(bytes[0]) | (static_cast<unsigned>(static_cast<unsigned char>(bytes[1])) << 8);
  CHECK(header_size % 8 == 0);
  CHECK(bytes.size() == 8 + header_size + 8);
  const std::string header = bytes.substr(8, header_size);
  const auto j = nlohmann::json::parse(header);
  CHECK(j["a"]["dtype"] == "F32");
  CHECK(j["a"]["shape"] == nlohmann::json::array({2}));
  CHECK(j["a"]["data_offsets"] == nlohmann::json::array({0, 8}));
  // 1.0f = 0x3f800000, -2.0f = 0xc0000000, little-endian.
  const std::string data = bytes.substr(8 + header_size);
  CHECK(data == std::string("\x00\x00\x80\x3f\x00\x00\x00\xc0", 8));
}

TEST_CASE("safetensors: round trip of every stored dtype, shapes and metadata through a file") {
  safetensors_writer w;
  const std::vector<double> d{0.1, -1e300, 3.5, 0.0, 7.25, -0.0};
  const std::vector<float> f{1.5f, -2.25f, 1e-30f};
  const std::vector<std::int32_t> i{-7, 0, 2147483647};
  const std::vector<std::uint16_t> u{0, 65535, 12};
  const std::vector<std::uint64_t> big{0xfedcba9876543210ULL};
  const std::vector<float> empty;
  w.add<double>("weights.d", {2, 3}, d);
  w.add<float>("f", {3}, f);
  w.add<std::int32_t>("ints", {1, 3}, i);
  w.add<std::uint16_t>("tokens", {3}, u);
  w.add<std::uint64_t>("rng", {1}, big);
  w.add<float>("empty", {0, 4}, empty);
  w.set_metadata("config", R"({"layers":2})");
  w.set_metadata("note", "hello");
  const auto path = std::filesystem::temp_directory_path() / "induct_test_roundtrip.safetensors";
  w.write(path);
  const auto r = safetensors_file::read(path);
  CHECK(r.values<double>("weights.d", {2, 3}) == d);
  CHECK(r.values<float>("f") == f);
  CHECK(r.values<std::int32_t>("ints") == i);
  CHECK(r.values<std::uint16_t>("tokens") == u);
  CHECK(r.values<std::uint64_t>("rng") == big);
  CHECK(r.values<float>("empty").empty());
  CHECK(r.entry("ints").shape == std::vector<std::int64_t>{1, 3});
  CHECK(r.entry("weights.d").dtype == tensor_dtype::f64);
  CHECK(r.metadata_value("config") == R"({"layers":2})");
  CHECK(r.metadata().size() == 2);
  // F32 widens to double and F64 narrows to float; integers never convert.
  CHECK(r.values<double>("f")[1] == -2.25);
  CHECK(r.values<float>("weights.d")[2] == 3.5f);
  CHECK_THROWS_WITH_AS((void)r.values<std::int64_t>("ints"), doctest::Contains("'ints' has dtype I32, expected I64"), file_error);
  CHECK_THROWS_WITH_AS((void)r.values<float>("f", {1, 3}), doctest::Contains("'f' has shape [3], expected [1, 3]"), file_error);
  CHECK_THROWS_WITH_AS((void)r.entry("nope"), doctest::Contains("missing tensor 'nope'"), file_error);
  CHECK_THROWS_WITH_AS((void)r.metadata_value("absent"), doctest::Contains("missing __metadata__ key 'absent'"), file_error);
  std::filesystem::remove(path);
}

TEST_CASE("safetensors: the writer refuses duplicate names and size disagreements") {
  safetensors_writer w;
  w.add<float>("x", {1}, std::vector<float>{1.0f});
  CHECK_THROWS_AS(w.add<float>("x", {1}, std::vector<float>{2.0f}), induct::config_error);
  CHECK_THROWS_AS(w.add<float>("y", {2, 2}, std::vector<float>{1.0f}), induct::config_error);
  CHECK_THROWS_AS(w.add<float>("__metadata__", {1}, std::vector<float>{1.0f}), induct::config_error);
}

TEST_CASE("safetensors: a file written elsewhere (unsorted keys, unpadded header) parses") {
  const std::string data("\x01\x00\x00\x00\x02\x00\x00\x00\x03\x00", 10);
  const auto r = safetensors_file::parse(
      assemble(R"({"b":{"dtype":"I32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"U8","shape":[2],"data_offsets":[8,10]}})", data),
      "x");
  CHECK(r.values<std::int32_t>("b") == std::vector<std::int32_t>{1, 2});
  CHECK(r.values<std::uint8_t>("a") == std::vector<std::uint8_t>{3, 0});
  CHECK(r.entries().front().name == "b");
}

TEST_CASE("safetensors: every corruption class is refused with a message naming what") {
  const std::string ok_header = R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  const std::string data(8, '\0');
  REQUIRE(error_of(assemble(ok_header, data)).empty());

  SUBCASE("shorter than the size field") { CHECK(contains(error_of("abc"), "fewer than the 8-byte header size field")); }
  SUBCASE("header size out of bounds") {
    CHECK(contains(error_of(assemble("", "")), "outside [2, 100000000]"));
    std::string huge = assemble(ok_header, data);
    huge[7] = '\x01';  // size field 2^56 + ...
    CHECK(contains(error_of(huge), "outside [2, 100000000]"));
  }
  SUBCASE("header longer than the file") {
    const std::string bytes = assemble(ok_header, data);
    CHECK(contains(error_of(bytes.substr(0, 20)), "truncated safetensors file: header size field says"));
  }
  SUBCASE("invalid JSON") { CHECK(contains(error_of(assemble(R"({"t": {)", "")), "invalid JSON")); }
  SUBCASE("header not an object") { CHECK(contains(error_of(assemble("[1,2]", "")), "not an object")); }
  SUBCASE("metadata not a string map") {
    CHECK(contains(error_of(assemble(R"({"__metadata__":{"k":3}})", "")), "value of 'k' is not a string"));
    CHECK(contains(error_of(assemble(R"({"__metadata__":[]})", "")), "__metadata__ is not an object"));
  }
  SUBCASE("bad entries") {
    CHECK(contains(error_of(assemble(R"({"t":{"dtype":"F33","shape":[2],"data_offsets":[0,8]}})", data)),
                   "tensor 't': unknown dtype 'F33'"));
    CHECK(contains(error_of(assemble(R"({"t":{"dtype":"F32","data_offsets":[0,8]}})", data)), "tensor 't': missing or non-array shape"));
    CHECK(contains(error_of(assemble(R"({"t":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", data)),
                   "shape entries must be non-negative"));
    CHECK(contains(error_of(assemble(R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[0]}})", data)), "data_offsets must be"));
    CHECK(contains(error_of(assemble(R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", data)), "begin 8 > end 0"));
    CHECK(contains(error_of(assemble(R"({"t":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", data)),
                   "span 8 bytes but shape [3] of F32 needs 12"));
    CHECK(contains(error_of(assemble(R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1}})", data)),
                   "unknown field 'x'"));
    CHECK(contains(error_of(assemble(R"({"t":5})", data)), "tensor 't': entry is not an object"));
  }
  SUBCASE("truncated data names the tensor") {
    const std::string header = R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F64","shape":[1],"data_offsets":[4,12]}})";
    const std::string full = assemble(header, std::string(12, '\0'));
    REQUIRE(error_of(full).empty());
    const std::string message = error_of(full.substr(0, full.size() - 3));
    CHECK(contains(message, "probe.safetensors"));
    CHECK(contains(message, "truncated safetensors file: tensor 'b' needs data bytes [4, 12)"));
  }
  SUBCASE("overlap, gap and trailing bytes") {
    CHECK(contains(error_of(assemble(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}})",
                                     std::string(6, '\0'))),
                   "overlaps the previous tensor"));
    CHECK(contains(error_of(assemble(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[6,10]}})",
                                     std::string(10, '\0'))),
                   "gap of 2 bytes before tensor 'b'"));
    CHECK(contains(error_of(assemble(ok_header, data + "xyz")), "trailing bytes"));
  }
}
