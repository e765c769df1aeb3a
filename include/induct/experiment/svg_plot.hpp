#pragma once
// Standalone SVG charts (no plotting dependency): line charts with interval bands and log axes,
// heatmaps with a colour scale, and figures that lay several panels out in a grid.
//
// Every string that reaches the file goes through xml_escape, so labels such as "P(y | x) < 1/2"
// or "f_2 o f_1 & co" stay well-formed. Non-finite points break a line (a gap) instead of
// producing "nan" coordinates; on a log axis, values <= 0 are drawn on the axis floor.
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "induct/core/linkage.hpp"

namespace induct::experiment {

/// Escapes the five XML special characters; control characters other than tab/newline are dropped
/// (they are not allowed in XML 1.0 at all).
INDUCT_DECLARE std::string xml_escape(std::string_view text);

/// One curve of a line chart; optional band_low/band_high (same length as x) shade an interval.
struct chart_series {
  std::string name;
  std::vector<double> x;
  std::vector<double> y;
  std::vector<double> band_low;   // empty: no band
  std::vector<double> band_high;
  int color = -1;                 // palette index; -1 takes the next unused colour
  bool dashed = false;
  bool markers = true;
  bool in_legend = true;
};

struct line_chart {
  std::string title;
  std::string x_label;
  std::string y_label;
  std::vector<chart_series> series;
  bool log_y = false;
  bool log_x = false;      // x > 0 only (token counts, widths); the range is the data's, ticks at decades
  bool integer_x = false;  // x ticks only at integers (layers, counts)
  std::optional<double> x_min, x_max, y_min, y_max;  // unset: fitted to the data
};

/// values[row][column]; NaN marks a missing cell (drawn hatched grey, labelled "-").
struct heatmap_chart {
  std::string title;
  std::string x_label;
  std::string y_label;
  std::string value_label;  // caption of the colour scale
  std::vector<std::string> column_labels;
  std::vector<std::string> row_labels;
  std::vector<std::vector<double>> values;
  std::optional<double> value_min, value_max;  // unset: fitted to the finite values
  bool low_is_good = true;  // true: low values are bright (e.g. error rates), high values dark
  int label_digits = 2;
};

using chart = std::variant<line_chart, heatmap_chart>;

/// Panels laid out row by row, `columns` per row, each panel_width x panel_height pixels.
struct figure {
  std::string title;
  std::vector<chart> panels;
  int columns = 2;
  double panel_width = 520;
  double panel_height = 360;
};

namespace svg_detail {

/// Tick label: at most 6 significant digits, no trailing zeros, exponent form below 1e-3 and from 1e5.
INDUCT_DECLARE std::string tick_label(double v);

/// "Nice" linear ticks (1, 2, 5 x 10^k) covering [lo, hi], about `target` of them.
INDUCT_DECLARE std::vector<double> linear_ticks(double lo, double hi, int target = 6);

/// Decades within [lo, hi] (both > 0); with 2 and 5 in between when there are few decades.
INDUCT_DECLARE std::vector<double> log_ticks(double lo, double hi);

}  // namespace svg_detail

/// A standalone SVG document of one line chart.
INDUCT_DECLARE std::string render_svg(const line_chart& chart, double width = 640, double height = 400);

/// A standalone SVG document of one heatmap.
INDUCT_DECLARE std::string render_svg(const heatmap_chart& chart, double width = 640, double height = 420);

/// A standalone SVG document with the figure's panels in a grid under its title.
INDUCT_DECLARE std::string render_svg(const figure& fig);

}  // namespace induct::experiment

#if INDUCT_HEADER_ONLY
#include "induct/experiment/detail/svg_plot_impl.hpp"
#endif
