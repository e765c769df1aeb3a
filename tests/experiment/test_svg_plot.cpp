#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "induct/core/atomic_file.hpp"
#include "induct/experiment/evaluation_plots.hpp"
#include "induct/experiment/svg_plot.hpp"
#include "xml_check.hpp"

namespace ex = induct::experiment;
using induct_test::svg_problem;

namespace {

const double missing = std::numeric_limits<double>::quiet_NaN();
const double infinite = std::numeric_limits<double>::infinity();

ex::chart_series make_series(std::string name, std::vector<double> x, std::vector<double> y) {
  ex::chart_series s;
  s.name = std::move(name);
  s.x = std::move(x);
  s.y = std::move(y);
  return s;
}

ex::line_chart error_chart(bool log_y) {
  ex::line_chart chart;
  chart.title = "lookup <direct> & \"friends\"";
  chart.x_label = "examples n";
  chart.y_label = "error rate";
  chart.log_y = log_y;
  ex::chart_series bound{"bound (D + R_n)/n", {0, 1, 2, 4, 8}, {infinite, 4.0, 2.0, 1.0, 0.5}, {}, {}, -1, true, false};
  ex::chart_series measured{"measured", {0, 1, 2, 4, 8}, {0.98, 0.5, 0.2, 0.0, missing}, {0.95, 0.4, 0.1, 0.0, missing},
                            {1.0, 0.6, 0.3, 0.02, missing}};
  chart.series = {bound, measured};
  return chart;
}

// Renders `svg` with rsvg-convert when installed; returns the PNG size in bytes (0 when the tool is absent).
std::uintmax_t render_png(const std::string& svg, const std::string& stem) {
  if (std::system("command -v rsvg-convert > /dev/null 2>&1") != 0) return 0;
  const auto dir = std::filesystem::temp_directory_path() / "induct_test_svg";
  std::filesystem::create_directories(dir);
  const auto svg_path = dir / (stem + ".svg");
  const auto png_path = dir / (stem + ".png");
  std::filesystem::remove(png_path);
  induct::write_text_atomically(svg_path, svg);
  const std::string command = "rsvg-convert -o '" + png_path.string() + "' '" + svg_path.string() + "' 2>&1";
  REQUIRE(std::system(command.c_str()) == 0);
  REQUIRE(std::filesystem::exists(png_path));
  std::ifstream png(png_path, std::ios::binary);
  char signature[8] = {};
  png.read(signature, 8);
  CHECK(std::string(signature + 1, 3) == "PNG");
  return std::filesystem::file_size(png_path);
}

}  // namespace

TEST_CASE("the XML checker itself rejects malformed documents") {
  CHECK(svg_problem("<svg><g/></svg>").empty());
  CHECK(svg_problem("<?xml version=\"1.0\"?>\n<svg a=\"1\" b='2'>x &amp; y &#60; &#x3c;</svg>\n").empty());
  CHECK_FALSE(svg_problem("<svg><g></svg>").empty());            // crossed tags
  CHECK_FALSE(svg_problem("<svg a=1/>").empty());                // unquoted attribute
  CHECK_FALSE(svg_problem("<svg a=\"1\" a=\"2\"/>").empty());    // duplicate attribute
  CHECK_FALSE(svg_problem("<svg>&foo;</svg>").empty());          // unknown entity
  CHECK_FALSE(svg_problem("<svg>a < b</svg>").empty());          // raw '<'
  CHECK_FALSE(svg_problem("<svg>a & b</svg>").empty());          // raw '&'
  CHECK_FALSE(svg_problem("<svg/><svg/>").empty());              // two roots
  CHECK_FALSE(svg_problem("<html/>").empty());                   // not svg
  CHECK_FALSE(svg_problem("<svg><text>unclosed</svg>").empty());
}

TEST_CASE("xml_escape covers the special characters and drops control characters") {
  CHECK(ex::xml_escape("a<b>&\"c'") == "a&lt;b&gt;&amp;&quot;c&apos;");
  CHECK(ex::xml_escape(std::string("x\x01y")) == "xy");
}

TEST_CASE("ticks are nice numbers covering the range") {
  const auto linear = ex::svg_detail::linear_ticks(0.0, 1.0, 5);
  REQUIRE(linear.size() == 6);
  CHECK(linear.front() == doctest::Approx(0.0));
  CHECK(linear[1] == doctest::Approx(0.2));
  CHECK(linear.back() == doctest::Approx(1.0));
  const auto decades = ex::svg_detail::log_ticks(1e-4, 1.0);
  REQUIRE(decades.size() == 5);
  CHECK(decades.front() == doctest::Approx(1e-4));
  CHECK(decades.back() == doctest::Approx(1.0));
  const auto fine = ex::svg_detail::log_ticks(0.01, 1.0);  // two decades: 1, 2, 5 per decade
  CHECK(fine.size() == 7);
  CHECK(ex::svg_detail::tick_label(0.25) == "0.25");
  CHECK(ex::svg_detail::tick_label(1e-5) == "1e-05");
  CHECK(ex::svg_detail::tick_label(12000) == "12000");  // training steps read as numbers
  CHECK(ex::svg_detail::tick_label(1e5) == "1e+05");
}

TEST_CASE("line charts are well-formed, escaped, and never print non-finite coordinates") {
  for (bool log_y : {false, true}) {
    const std::string svg = ex::render_svg(error_chart(log_y));
    INFO(svg);
    CHECK(svg_problem(svg).empty());
    CHECK(svg.find("lookup &lt;direct&gt; &amp; &quot;friends&quot;") != std::string::npos);
    CHECK(svg.find("nan") == std::string::npos);
    CHECK(svg.find("inf") == std::string::npos);
    CHECK(svg.find("<polygon") != std::string::npos);       // the interval band
    CHECK(svg.find("stroke-dasharray") != std::string::npos);  // the dashed bound
    CHECK(svg.find(">measured</text>") != std::string::npos);  // legend entry
  }
}

TEST_CASE("points map linearly into the plot area") {
  ex::line_chart chart;
  chart.x_min = 0, chart.x_max = 10, chart.y_min = 0, chart.y_max = 1;
  chart.series = {make_series("s", {0, 10}, {0, 1})};
  chart.series[0].in_legend = false;
  const std::string svg = ex::render_svg(chart, 600, 400);
  // Plot area: left 62, right 600-12 = 588, top 34, bottom 400-46 = 354.
  CHECK(svg.find("M62.00 354.00 L588.00 34.00") != std::string::npos);
}

TEST_CASE("integer x axes tick only at integers") {
  ex::line_chart chart;
  chart.integer_x = true;
  chart.series = {make_series("s", {0, 1, 2}, {0.5, 0.6, 0.7})};
  const std::string svg = ex::render_svg(chart);
  CHECK(svg.find(">1</text>") != std::string::npos);
  CHECK(svg.find(">0.25</text>") == std::string::npos);
  CHECK(svg.find(">1.5</text>") == std::string::npos);
}

TEST_CASE("charts reject inconsistent data with a clear error") {
  ex::line_chart chart;
  chart.series = {make_series("bad", {0, 1, 2}, {0, 1})};
  CHECK_THROWS_AS(ex::render_svg(chart), induct::error);
  ex::heatmap_chart heat;
  heat.row_labels = {"a", "b"};
  heat.column_labels = {"x"};
  heat.values = {{1.0}};
  CHECK_THROWS_AS(ex::render_svg(heat), induct::error);
  ex::line_chart log_chart;
  log_chart.log_y = true;
  log_chart.y_min = 0.0;
  CHECK_THROWS_AS(ex::render_svg(log_chart), induct::error);
}

TEST_CASE("heatmaps and figures are well-formed and render to PNG") {
  ex::heatmap_chart heat;
  heat.title = "error at n = 16";
  heat.x_label = "training tokens";
  heat.y_label = "model";
  heat.value_label = "error";
  heat.column_labels = {"1e5", "1e6", "1e7"};
  heat.row_labels = {"L1 W32", "L2 W64", "L4 W128"};
  heat.values = {{0.9, 0.8, missing}, {0.85, 0.4, 0.1}, {0.8, 0.2, 0.01}};
  const std::string heat_svg = ex::render_svg(heat);
  CHECK(svg_problem(heat_svg).empty());
  CHECK(heat_svg.find(">0.01</text>") != std::string::npos);
  CHECK(heat_svg.find(">-</text>") != std::string::npos);  // the missing cell

  ex::figure fig;
  fig.title = "predicted vs measured";
  fig.panels = {error_chart(true), error_chart(false), heat};
  const std::string fig_svg = ex::render_svg(fig);
  CHECK(svg_problem(fig_svg).empty());
  // Clip-path ids are unique within one document.
  CHECK(fig_svg.find("id=\"clip1\"") != std::string::npos);
  CHECK(fig_svg.find("id=\"clip2\"") != std::string::npos);
  // Rendering is deterministic.
  CHECK(ex::render_svg(fig) == fig_svg);

  const auto line_png = render_png(ex::render_svg(error_chart(true)), "line");
  const auto figure_png = render_png(fig_svg, "figure");
  if (line_png > 0) {
    CHECK(line_png > 5000);
    CHECK(figure_png > line_png);
  } else {
    MESSAGE("rsvg-convert not installed: PNG rendering not checked");
  }
}

TEST_CASE("points outside a fixed range are marked on the frame and named in the legend, never dropped") {
  ex::line_chart chart;
  chart.title = "bound";
  chart.y_min = 0.0;
  chart.y_max = 1.0;
  ex::chart_series bound;
  bound.name = "(D + R_n)/n";
  bound.x = {1, 2, 4, 8};
  bound.y = {8.1, 4.0, 2.0, 0.9};
  chart.series.push_back(bound);
  ex::chart_series inside;
  inside.name = "model";
  inside.x = {1, 2};
  inside.y = {0.5, -0.25};
  chart.series.push_back(inside);
  const std::string svg = ex::render_svg(chart);
  CHECK(svg_problem(svg).empty());
  CHECK(svg.find(">(D + R_n)/n</text>") != std::string::npos);
  CHECK(svg.find(">(above 1 at x = 1..4)</text>") != std::string::npos);  // the note, a line of its own
  CHECK(svg.find(">(below 0 at x = 2)</text>") != std::string::npos);
  std::size_t markers = 0;
  for (auto at = svg.find("class=\"off-chart\""); at != std::string::npos; at = svg.find("class=\"off-chart\"", at + 1)) ++markers;
  CHECK(markers == 4);  // three above, one below
  // Nothing off the chart: no note, no marker.
  chart.series = {inside};
  chart.series[0].y = {0.5, 0.25};
  const std::string clean = ex::render_svg(chart);
  CHECK(clean.find("off-chart") == std::string::npos);
  CHECK(clean.find(">model</text>") != std::string::npos);
}

TEST_CASE("a log x axis maps decades evenly and ticks at them") {
  ex::line_chart chart;
  chart.title = "tokens";
  chart.log_x = true;
  ex::chart_series s;
  s.name = "error";
  s.x = {1e5, 1e6, 1e7};
  s.y = {0.9, 0.5, 0.1};
  chart.series.push_back(s);
  const std::string svg = ex::render_svg(chart);
  CHECK(svg_problem(svg).empty());
  for (const char* tick : {">1e+05<", ">1e+06<", ">1e+07<"}) CHECK(svg.find(tick) != std::string::npos);
  chart.series[0].x = {0.0, 1.0};
  chart.x_min = 0.0;
  CHECK_THROWS_AS(ex::render_svg(chart), induct::error);  // log x needs x_min > 0
}

TEST_CASE("training loss chart: every step's loss, its moving mean, the validation loss at the end") {
  const std::vector<double> losses = {4.0, 3.0, 2.0, 1.0};
  const auto chart = ex::training_loss_chart(losses, 1.5, "loss", 2);
  REQUIRE(chart.series.size() == 3);
  CHECK(chart.series[0].y == losses);
  CHECK(chart.series[1].x == std::vector<double>{1, 2, 3, 4});
  CHECK(chart.series[1].y == std::vector<double>{4.0, 3.5, 2.5, 1.5});  // mean of the last 2
  CHECK(chart.series[2].x == std::vector<double>{4});
  CHECK(chart.series[2].y == std::vector<double>{1.5});
  CHECK(ex::training_loss_chart(losses, std::nan(""), "loss").series.size() == 2);
  // A long run is thinned to about 2,000 points, the last step kept.
  const auto long_chart = ex::training_loss_chart(std::vector<double>(100001, 1.0), 1.0, "loss");
  CHECK(long_chart.series[0].x.size() <= 2002);
  CHECK(long_chart.series[0].x.back() == 100001);
  CHECK(svg_problem(ex::render_svg(chart)).empty());
}
