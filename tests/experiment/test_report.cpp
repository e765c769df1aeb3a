#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <limits>

#include "induct/core/atomic_file.hpp"
#include "induct/experiment/report.hpp"

namespace ex = induct::experiment;

namespace {
ex::result_table sample_table() {
  ex::result_table table({"task", "n", "error", "note"});
  table.add_row({std::string("lookup"), 0LL, 0.984375, std::monostate{}});
  table.add_row({std::string("compose2"), 8LL, 0.1, std::string("has, comma and \"quote\"")});
  table.add_row({std::string("novel"), 32LL, std::numeric_limits<double>::infinity(), std::string("line\nbreak")});
  return table;
}
}  // namespace

TEST_CASE("CSV follows RFC 4180 quoting and writes shortest round-trip reals") {
  const std::string csv = sample_table().to_csv();
  CHECK(csv ==
        "task,n,error,note\n"
        "lookup,0,0.984375,\n"
        "compose2,8,0.1,\"has, comma and \"\"quote\"\"\"\n"
        "novel,32,inf,\"line\nbreak\"\n");
}

TEST_CASE("JSON round-trips cells; non-finite reals become null") {
  const auto table = sample_table();
  const auto j = table.to_json();
  CHECK(j["rows"][2]["error"].is_null());
  CHECK(j["rows"][0]["n"].is_number_integer());
  const auto back = ex::result_table::from_json(j);
  REQUIRE(back.row_count() == 3);
  CHECK(back.columns() == table.columns());
  CHECK(back.number(1, "error") == 0.1);
  CHECK(back.number(0, "n") == 0.0);
  CHECK(std::isnan(back.number(2, "error")));
  CHECK(back.text(1, "note") == "has, comma and \"quote\"");
  CHECK_THROWS_AS((void)back.number(0, "task"), induct::error);
  CHECK_THROWS_AS((void)back.column_index("absent"), induct::error);
}

TEST_CASE("tables reject malformed rows and inputs") {
  ex::result_table table({"a", "b"});
  CHECK_THROWS_AS(table.add_row({1LL}), induct::error);
  CHECK_THROWS_AS(ex::result_table({"a", "a"}), induct::error);
  CHECK_THROWS_AS(ex::result_table::from_json(nlohmann::json::parse(R"({"columns":["a"],"rows":[{"b":1}]})")),
                  induct::parse_error);
  CHECK_THROWS_AS(ex::result_table::from_json(nlohmann::json::parse(R"({"rows":[]})")), induct::parse_error);
}

TEST_CASE("atomic JSON and CSV files read back equal, with metadata") {
  const auto dir = std::filesystem::temp_directory_path() / "induct_test_report";
  std::filesystem::create_directories(dir);
  const auto table = sample_table();
  ex::write_json(dir / "t.json", table, {{"seed", 7}});
  ex::write_csv(dir / "t.csv", table);
  const auto back = ex::read_json_table(dir / "t.json");
  // JSON has no infinity: the one non-finite cell comes back missing, all others equal.
  std::string expected = table.to_csv();
  expected.replace(expected.find(",inf,"), 5, ",,");
  CHECK(back.to_csv() == expected);
  CHECK(induct::read_text_file(dir / "t.csv") == table.to_csv());
  CHECK(nlohmann::json::parse(induct::read_text_file(dir / "t.json"))["metadata"]["seed"] == 7);
  induct::write_text_atomically(dir / "bad.json", "{not json");
  CHECK_THROWS_AS(ex::read_json_table(dir / "bad.json"), induct::file_error);
  // No temporaries are left behind.
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    CHECK(entry.path().filename().string().find(".tmp.") == std::string::npos);
}

TEST_CASE("text tables align columns") {
  ex::result_table table({"n", "error"});
  table.add_row({0LL, 0.98765});
  table.add_row({16LL, std::nan("")});
  CHECK(table.to_text() ==
        " n  error\n"
        "---------\n"
        " 0  0.988\n"
        "16      -\n");
}

TEST_CASE("rows by column name: the same row as by position; an unknown or unset column is an error") {
  ex::result_table by_name({"task", "n", "error", "note"});
  auto row = by_name.new_row();
  row["note"] = std::monostate{};
  row["error"] = 0.984375;
  row["task"] = std::string("lookup");
  row["n"] = 0LL;
  by_name.add_row(row);
  ex::result_table by_position({"task", "n", "error", "note"});
  by_position.add_row({std::string("lookup"), 0LL, 0.984375, std::monostate{}});
  CHECK(by_name.to_csv() == by_position.to_csv());
  CHECK(by_name.rows() == by_position.rows());

  auto unknown = by_name.new_row();
  CHECK_THROWS_WITH_AS(unknown["error_rate"] = 0.5, doctest::Contains("unknown column 'error_rate'"), induct::error);
  auto partial = by_name.new_row();
  partial["task"] = std::string("x");
  partial["n"] = 1LL;
  partial["error"] = 0.5;
  CHECK_THROWS_WITH_AS(by_name.add_row(partial), doctest::Contains("leaves column 'note' unset"), induct::error);
  CHECK(by_name.row_count() == 1);
  partial["note"] = std::string("done");
  CHECK_THROWS_WITH_AS(by_position.add_row(partial), doctest::Contains("another table"), induct::error);
  by_name.add_row(partial);
  CHECK(by_name.row_count() == 2);
}

TEST_CASE("select: the columns asked for, in their order, every row; a column the table lacks is refused") {
  const auto selected = sample_table().select({"error", "task"});
  CHECK(selected.to_csv() ==
        "error,task\n"
        "0.984375,lookup\n"
        "0.1,compose2\n"
        "inf,novel\n");
  CHECK_THROWS(sample_table().select({"task", "missing"}));
}
