// report.html (experiment/report_page.hpp) and the findings paragraph (evaluation_outputs.hpp): base64 and
// escaping against known values, plots embedded from the folder (missing ones left out), no script.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "induct/core/atomic_file.hpp"
#include "induct/experiment/evaluation_outputs.hpp"
#include "induct/experiment/report_page.hpp"

namespace ex = induct::experiment;

TEST_CASE("base64 and HTML escaping give the RFC 4648 test vectors and entities") {
  // RFC 4648 section 10.
  CHECK(ex::base64("") == "");
  CHECK(ex::base64("f") == "Zg==");
  CHECK(ex::base64("fo") == "Zm8=");
  CHECK(ex::base64("foo") == "Zm9v");
  CHECK(ex::base64("foob") == "Zm9vYg==");
  CHECK(ex::base64("fooba") == "Zm9vYmE=");
  CHECK(ex::base64("foobar") == "Zm9vYmFy");
  CHECK(ex::base64(std::string("\xff\x00\x80", 3)) == "/wCA");
  CHECK(ex::html_escape("a<b & \"c\" 'd'>") == "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;");
}

TEST_CASE("a report page embeds the folder's plots, links its files, leaves out what is missing, runs no script") {
  const auto dir = std::filesystem::temp_directory_path() / "induct_test_report_page";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string svg = "<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"/>";
  induct::write_text_atomically(dir / "a.svg", svg);
  induct::write_text_atomically(dir / "results.csv", "x\n1\n");
  ex::report_page page;
  page.title = "Run <1>";
  page.facts = {{"seed", "1 & 2"}};
  page.findings = "ICL shown.";
  page.table_text = "n  err\n0  0.9\n";
  page.plots = {"a.svg", "missing.svg"};
  page.files = {"results.csv", "missing.csv"};
  page.config = {{"steps", 6}};
  ex::write_report_page(page, dir);
  const std::string html = induct::read_text_file(dir / "report.html");
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(html.find("<title>Run &lt;1&gt;</title>") != std::string::npos);
  CHECK(html.find("<td>1 &amp; 2</td>") != std::string::npos);
  CHECK(html.find("data:image/svg+xml;base64," + ex::base64(svg) + "\"") != std::string::npos);
  CHECK(html.find("missing.svg") == std::string::npos);
  CHECK(html.find("<a href=\"results.csv\">") != std::string::npos);
  CHECK(html.find("missing.csv") == std::string::npos);
  CHECK(html.find("&quot;steps&quot;: 6") != std::string::npos);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("src=\"http") == std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("the findings paragraph is computed from the table's numbers") {
  ex::result_table t({"task", "format", "examples", "model_query_error_rate", "ideal_query_error_rate", "bound_vacuous"});
  t.add_row({std::string("lookup"), std::string("direct"), 0LL, 0.86, 0.81, 1LL});
  t.add_row({std::string("lookup"), std::string("direct"), 8LL, 0.02, 0.0, 0LL});
  t.add_row({std::string("compose2"), std::string("direct"), 1LL, 0.95, 0.41, 1LL});
  t.add_row({std::string("compose2"), std::string("direct"), 4LL, 0.97, 0.0, 1LL});
  t.add_row({std::string("compose2"), std::string("stepwise"), 1LL, 0.15, 0.13, 1LL});
  t.add_row({std::string("compose2"), std::string("stepwise"), 4LL, 0.01, 0.0, 1LL});
  t.add_row({std::string("novel2"), std::string("stepwise"), 1LL, 0.22, 0.09, 1LL});
  const std::string text = ex::evaluation_findings(t);
  CHECK(text.find("In-context learning on lookup is shown: the error is 0.86 at n = 0 and 0.02 at n = 8") !=
        std::string::npos);
  CHECK(text.find("compose2 at n = 4: 0.01 with intermediate steps against 0.97 direct (steps help)") != std::string::npos);
  CHECK(text.find("Held-out novel2 (stepwise) at n = 1: 0.22 against 0.15 for the seen compose2") != std::string::npos);
  CHECK(text.find("vacuous") != std::string::npos);
  t.add_row({std::string("lookup"), std::string("direct"), 16LL, 0.7, 0.0, 0LL});
  CHECK(ex::evaluation_findings(t).find("is not shown at this size") != std::string::npos);
}
