#pragma once
// Definitions for experiment/svg_plot.hpp (see induct/core/linkage.hpp for the two modes).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "induct/core/error.hpp"
#include "induct/experiment/svg_plot.hpp"

namespace induct::experiment {

INDUCT_DEFINE std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') break;
        out += c;
    }
  }
  return out;
}

namespace svg_detail {

// Okabe-Ito palette (distinguishable under the common colour-vision deficiencies), yellow left out
// because it vanishes on white.
inline constexpr std::array<const char*, 7> palette = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                                       "#E69F00", "#56B4E9", "#000000"};

INDUCT_DETAIL std::string number(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.2f", v);
  return buffer;
}

INDUCT_DEFINE std::string tick_label(double v) {
  if (v == 0.0) return "0";
  char buffer[32];
  const double magnitude = std::abs(v);
  // Plain digits below 1e5 (training steps such as 12000 read as numbers, not as 1.2e+04).
  if (magnitude >= 1e-3 && magnitude < 1e5) std::snprintf(buffer, sizeof buffer, "%.6g", v);
  else std::snprintf(buffer, sizeof buffer, "%.0e", v);
  return buffer;
}

INDUCT_DETAIL std::string format_value(double v, int digits) {
  if (!std::isfinite(v)) return "-";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, v);
  return buffer;
}

/// Approximate text width in pixels for a sans-serif font (there is no font metrics API in SVG).
INDUCT_DETAIL double text_width(std::string_view text, double font_size) { return 0.58 * font_size * static_cast<double>(text.size()); }

INDUCT_DEFINE std::vector<double> linear_ticks(double lo, double hi, int target) {
  std::vector<double> ticks;
  if (!(hi > lo)) return {lo};
  const double raw = (hi - lo) / std::max(1, target);
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  double step = power;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    step = m * power;
    if (step >= raw) break;
  }
  const double first = std::ceil(lo / step - 1e-9) * step;
  for (double t = first; t <= hi + step * 1e-9; t += step) ticks.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
  return ticks;
}

INDUCT_DEFINE std::vector<double> log_ticks(double lo, double hi) {
  std::vector<double> ticks;
  const int first = static_cast<int>(std::floor(std::log10(lo) + 1e-9));
  const int last = static_cast<int>(std::ceil(std::log10(hi) - 1e-9));
  const bool fine = last - first <= 2;
  for (int k = first; k <= last; ++k) {
    for (double m : {1.0, 2.0, 5.0}) {
      if (m != 1.0 && !fine) continue;
      const double t = m * std::pow(10.0, k);
      if (t >= lo * (1 - 1e-9) && t <= hi * (1 + 1e-9)) ticks.push_back(t);
    }
  }
  return ticks;
}

/// Perceptually ordered colour map (viridis, sampled at 9 stops, linearly interpolated); t in [0,1].
INDUCT_DETAIL std::array<double, 3> viridis(double t) {
  static constexpr double stops[9][3] = {{68, 1, 84},    {71, 44, 122},  {59, 81, 139},   {44, 113, 142}, {33, 144, 141},
                                         {39, 173, 129}, {92, 200, 99},  {170, 220, 50}, {253, 231, 37}};
  t = std::clamp(std::isfinite(t) ? t : 0.0, 0.0, 1.0);
  const double scaled = t * 8.0;
  const int i = std::min(7, static_cast<int>(scaled));
  const double f = scaled - i;
  return {stops[i][0] + f * (stops[i + 1][0] - stops[i][0]), stops[i][1] + f * (stops[i + 1][1] - stops[i][1]),
          stops[i][2] + f * (stops[i + 1][2] - stops[i][2])};
}

INDUCT_DETAIL std::string rgb(const std::array<double, 3>& c) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "#%02x%02x%02x", static_cast<int>(std::lround(c[0])), static_cast<int>(std::lround(c[1])),
                static_cast<int>(std::lround(c[2])));
  return buffer;
}

/// Writes SVG elements into a string; all text is escaped here.
class writer {
 public:
  void raw(std::string_view s) { out_ += s; }
  void text(double x, double y, std::string_view content, double size, const char* anchor = "middle",
            const char* extra = "") {
    out_ += "<text x=\"" + number(x) + "\" y=\"" + number(y) + "\" font-size=\"" + number(size) + "\" text-anchor=\"" +
            anchor + "\"" + (*extra ? std::string(" ") + extra : std::string()) + ">" + xml_escape(content) + "</text>\n";
  }
  void line(double x1, double y1, double x2, double y2, const std::string& stroke, double width, bool dashed = false) {
    out_ += "<line x1=\"" + number(x1) + "\" y1=\"" + number(y1) + "\" x2=\"" + number(x2) + "\" y2=\"" + number(y2) +
            "\" stroke=\"" + stroke + "\" stroke-width=\"" + number(width) + "\"" +
            (dashed ? " stroke-dasharray=\"6 4\"" : "") + "/>\n";
  }
  void rect(double x, double y, double w, double h, const std::string& fill, const std::string& extra = {}) {
    out_ += "<rect x=\"" + number(x) + "\" y=\"" + number(y) + "\" width=\"" + number(std::max(0.0, w)) + "\" height=\"" +
            number(std::max(0.0, h)) + "\" fill=\"" + fill + "\"" + (extra.empty() ? "" : " " + extra) + "/>\n";
  }
  [[nodiscard]] const std::string& str() const noexcept { return out_; }
  /// A document-unique id (clip paths), deterministic for the same drawing calls.
  std::string unique_id(std::string_view prefix) { return std::string(prefix) + std::to_string(++ids_); }

 private:
  std::string out_;
  int ids_ = 0;
};

/// Axis range mapping data to pixels, linear or log10.
struct axis {
  double lo = 0, hi = 1, pixel_lo = 0, pixel_hi = 1;
  bool log = false;
  [[nodiscard]] double map(double v) const {
    if (log) v = std::log10(std::max(v, lo));
    const double a = log ? std::log10(lo) : lo;
    const double b = log ? std::log10(hi) : hi;
    return pixel_lo + (v - a) / (b - a) * (pixel_hi - pixel_lo);
  }
};

/// The attribute that ties a mark or a legend entry to its series (its index in line_chart::series).
INDUCT_DETAIL std::string series_attribute(std::size_t series) { return "data-series=\"" + std::to_string(series) + "\""; }

INDUCT_DETAIL void draw_line_chart(writer& w, const line_chart& chart, double x0, double y0, double width, double height) {
  constexpr double title_size = 15, label_size = 12, tick_size = 10.5, legend_size = 11;
  // Data ranges over finite points (bands included).
  double xmin = std::numeric_limits<double>::infinity(), xmax = -xmin, ymin = xmin, ymax = -xmin;
  double positive_min = std::numeric_limits<double>::infinity(), positive_x_min = positive_min;
  auto take_y = [&](double v) {
    if (!std::isfinite(v)) return;
    ymin = std::min(ymin, v);
    ymax = std::max(ymax, v);
    if (v > 0) positive_min = std::min(positive_min, v);
  };
  for (const auto& s : chart.series) {
    if (s.x.size() != s.y.size()) throw error("chart '" + chart.title + "': series '" + s.name + "' has " +
                                              std::to_string(s.x.size()) + " x values but " + std::to_string(s.y.size()) + " y values");
    if ((!s.band_low.empty() || !s.band_high.empty()) && (s.band_low.size() != s.x.size() || s.band_high.size() != s.x.size()))
      throw error("chart '" + chart.title + "': series '" + s.name + "' band has a different length than its points");
    for (std::size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      xmin = std::min(xmin, s.x[i]);
      xmax = std::max(xmax, s.x[i]);
      if (s.x[i] > 0) positive_x_min = std::min(positive_x_min, s.x[i]);
      take_y(s.y[i]);
      if (!s.band_low.empty()) {
        take_y(s.band_low[i]);
        take_y(s.band_high[i]);
      }
    }
  }
  if (!std::isfinite(xmin)) xmin = 0, xmax = 1;
  if (!std::isfinite(ymin)) ymin = 0, ymax = 1;
  if (chart.x_min) xmin = *chart.x_min;
  if (chart.x_max) xmax = *chart.x_max;
  if (chart.log_x) {
    xmin = chart.x_min.value_or(std::isfinite(positive_x_min) ? positive_x_min : 1.0);
    if (!(xmin > 0)) throw error("chart '" + chart.title + "': a log x axis needs x_min > 0");
    if (xmax <= xmin) xmax = xmin * 10;
    if (!chart.x_min) xmin /= 1.15;  // a margin, so the end points are not on the frame
    if (!chart.x_max) xmax *= 1.15;
  }
  if (xmax <= xmin) xmax = xmin + 1;
  if (chart.log_y) {
    ymin = chart.y_min.value_or(std::isfinite(positive_min) ? std::pow(10.0, std::floor(std::log10(positive_min))) : 1e-3);
    ymax = chart.y_max.value_or(std::max(ymax, ymin * 10));
    if (!(ymin > 0)) throw error("chart '" + chart.title + "': a log axis needs y_min > 0");
    if (!chart.y_max) ymax = std::pow(10.0, std::ceil(std::log10(ymax) - 1e-9));
  } else {
    if (chart.y_min) ymin = *chart.y_min;
    if (chart.y_max) ymax = *chart.y_max;
    if (ymax <= ymin) ymax = ymin + 1;
    if (!chart.y_min || !chart.y_max) {  // pad to nice tick bounds
      const auto ticks = linear_ticks(ymin, ymax);
      const double step = ticks.size() > 1 ? ticks[1] - ticks[0] : 1.0;
      if (!chart.y_min) ymin = std::floor(ymin / step + 1e-9) * step;
      if (!chart.y_max) ymax = std::ceil(ymax / step - 1e-9) * step;
      if (ymax <= ymin) ymax = ymin + step;
    }
  }

  // Points outside a fixed y range are never dropped silently: a triangle at the frame marks each, and
  // the legend says where the series is off the chart ("above 1 at x = 1..10").
  std::vector<std::string> legend_notes;  // drawn on a second, smaller line under the entry
  std::vector<std::vector<int>> off_chart(chart.series.size());  // per point: +1 above, -1 below, 0 inside
  for (std::size_t si = 0; si < chart.series.size(); ++si) {
    const auto& s = chart.series[si];
    off_chart[si].assign(s.x.size(), 0);
    double above_lo = std::numeric_limits<double>::infinity(), above_hi = -above_lo, below_lo = above_lo, below_hi = -above_lo;
    for (std::size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      if (s.y[i] > ymax * (1 + 1e-12) + 1e-12) {
        off_chart[si][i] = 1;
        above_lo = std::min(above_lo, s.x[i]);
        above_hi = std::max(above_hi, s.x[i]);
      } else if (!chart.log_y && s.y[i] < ymin - 1e-12 * (1 + std::abs(ymin))) {
        off_chart[si][i] = -1;
        below_lo = std::min(below_lo, s.x[i]);
        below_hi = std::max(below_hi, s.x[i]);
      }
    }
    std::string name;
    const auto note = [&](const char* where, double bound, double lo, double hi) {
      name += name.empty() ? "(" : "; (";
      name += where;
      name += ' ';
      name += tick_label(bound);
      name += " at x = ";
      name += tick_label(lo);
      if (hi > lo) {
        name += "..";
        name += tick_label(hi);
      }
      name += ')';
    };
    if (std::isfinite(above_lo)) note("above", ymax, above_lo, above_hi);
    if (std::isfinite(below_lo)) note("below", ymin, below_lo, below_hi);
    legend_notes.push_back(std::move(name));
  }
  // Legend to the right of the plot area, sized to its longest entry.
  constexpr double note_size = 9.5;
  double legend_width = 0;
  for (std::size_t si = 0; si < chart.series.size(); ++si)
    if (chart.series[si].in_legend)
      legend_width = std::max({legend_width, 34 + text_width(chart.series[si].name, legend_size),
                               34 + text_width(legend_notes[si], note_size)});
  legend_width = std::min(legend_width, width * 0.45);
  const double left = x0 + 62, right = x0 + width - 12 - (legend_width > 0 ? legend_width + 10 : 0);
  const double top = y0 + 34, bottom = y0 + height - 46;
  axis ax{xmin, xmax, left, right, chart.log_x};
  axis ay{ymin, ymax, bottom, top, chart.log_y};

  // Classes and data-series say what each element is (the plot area, a series' marks, a legend entry),
  // so a test can check from the SVG alone that every legend entry has a visible mark in the plot area.
  w.raw("<g class=\"line-chart\">\n");
  w.rect(x0, y0, width, height, "#ffffff");
  w.text(x0 + width / 2, y0 + 20, chart.title, title_size, "middle", "font-weight=\"bold\"");
  // Grid and ticks.
  const auto yt = chart.log_y ? log_ticks(ymin, ymax) : linear_ticks(ymin, ymax);
  for (double t : yt) {
    const double py = ay.map(t);
    w.line(left, py, right, py, "#e3e3e3", 1);
    w.line(left - 4, py, left, py, "#333333", 1);
    w.text(left - 7, py + 3.5, tick_label(t), tick_size, "end");
  }
  auto xt = chart.log_x ? log_ticks(xmin, xmax) : linear_ticks(xmin, xmax, 8);
  if (chart.integer_x && !chart.log_x) {
    const double step = std::max(1.0, xt.size() > 1 ? std::round(xt[1] - xt[0]) : 1.0);
    xt.clear();
    for (double t = std::ceil(xmin); t <= xmax + 1e-9; t += step) xt.push_back(t);
  }
  for (double t : xt) {
    const double px = ax.map(t);
    w.line(px, top, px, bottom, "#f0f0f0", 1);
    w.line(px, bottom, px, bottom + 4, "#333333", 1);
    w.text(px, bottom + 16, tick_label(t), tick_size);
  }
  w.rect(left, top, right - left, bottom - top, "none", "class=\"plot-area\" stroke=\"#333333\" stroke-width=\"1\"");
  w.text((left + right) / 2, y0 + height - 10, chart.x_label, label_size);
  {
    const double cx = x0 + 16, cy = (top + bottom) / 2;
    w.text(cx, cy, chart.y_label, label_size, "middle",
           ("transform=\"rotate(-90 " + number(cx) + " " + number(cy) + ")\"").c_str());
  }
  // Clip curves to the plot area so explicit ranges cut cleanly.
  const std::string clip_id = w.unique_id("clip");
  w.raw("<clipPath id=\"" + clip_id + "\"><rect x=\"" + number(left) + "\" y=\"" + number(top) + "\" width=\"" +
        number(right - left) + "\" height=\"" + number(bottom - top) + "\"/></clipPath>\n");
  w.raw("<g clip-path=\"url(#" + clip_id + ")\">\n");
  int next_color = 0;
  std::vector<std::string> colors;
  for (const auto& s : chart.series) {
    const int index = s.color >= 0 ? s.color : next_color++;
    colors.push_back(palette[static_cast<std::size_t>(index) % palette.size()]);
  }
  auto clamp_y = [&](double v) { return chart.log_y && v <= 0 ? ymin : v; };
  // Bands first, so lines are drawn over them. A band breaks where a point is not finite.
  for (std::size_t si = 0; si < chart.series.size(); ++si) {
    const auto& s = chart.series[si];
    if (s.band_low.empty()) continue;
    std::size_t i = 0;
    while (i < s.x.size()) {
      auto ok = [&](std::size_t k) { return std::isfinite(s.x[k]) && std::isfinite(s.band_low[k]) && std::isfinite(s.band_high[k]); };
      while (i < s.x.size() && !ok(i)) ++i;
      std::size_t j = i;
      while (j < s.x.size() && ok(j)) ++j;
      if (j > i) {
        std::string points;
        for (std::size_t k = i; k < j; ++k) points += number(ax.map(s.x[k])) + "," + number(ay.map(clamp_y(s.band_high[k]))) + " ";
        for (std::size_t k = j; k-- > i;) points += number(ax.map(s.x[k])) + "," + number(ay.map(clamp_y(s.band_low[k]))) + " ";
        w.raw("<polygon " + series_attribute(si) + " points=\"" + points + "\" fill=\"" + colors[si] +
              "\" fill-opacity=\"0.18\" stroke=\"none\"/>\n");
      }
      i = j;
    }
  }
  for (std::size_t si = 0; si < chart.series.size(); ++si) {
    const auto& s = chart.series[si];
    std::string path;
    bool pen_down = false;
    for (std::size_t k = 0; k < s.x.size(); ++k) {
      if (!std::isfinite(s.x[k]) || !std::isfinite(s.y[k])) {
        pen_down = false;
        continue;
      }
      // Appends piecewise: GCC 12 warns falsely (-Wrestrict) on `"L" + std::string`.
      path += pen_down ? 'L' : 'M';
      path += number(ax.map(s.x[k]));
      path += ' ';
      path += number(ay.map(clamp_y(s.y[k])));
      path += ' ';
      pen_down = true;
    }
    if (!path.empty())
      w.raw("<path " + series_attribute(si) + " d=\"" + path + "\" fill=\"none\" stroke=\"" + colors[si] + "\" stroke-width=\"2\"" +
            (s.dashed ? " stroke-dasharray=\"6 4\"" : "") + "/>\n");
    if (s.markers)
      for (std::size_t k = 0; k < s.x.size(); ++k)
        if (std::isfinite(s.x[k]) && std::isfinite(s.y[k]) && off_chart[si][k] == 0)
          w.raw("<circle " + series_attribute(si) + " cx=\"" + number(ax.map(s.x[k])) + "\" cy=\"" + number(ay.map(clamp_y(s.y[k]))) +
                "\" r=\"3\" fill=\"" + colors[si] + "\"/>\n");
  }
  w.raw("</g>\n");
  // Off-chart points: a triangle on the frame pointing the way the value lies (outside the clip).
  for (std::size_t si = 0; si < chart.series.size(); ++si)
    for (std::size_t k = 0; k < chart.series[si].x.size(); ++k) {
      const int side = off_chart[si][k];
      if (side == 0) continue;
      const double px = ax.map(chart.series[si].x[k]), py = side > 0 ? top : bottom, tip = side > 0 ? -7.0 : 7.0;
      if (px < left - 1e-9 || px > right + 1e-9) continue;
      w.raw("<polygon class=\"off-chart\" " + series_attribute(si) + " points=\"" + number(px - 4.5) + "," + number(py) + " " + number(px + 4.5) + "," +
            number(py) + " " + number(px) + "," + number(py + tip) + "\" fill=\"" + colors[si] + "\"/>\n");
    }
  // Legend.
  double ly = top + 8;
  for (std::size_t si = 0; si < chart.series.size(); ++si) {
    const auto& s = chart.series[si];
    if (!s.in_legend) continue;
    const double lx = right + 14;
    w.raw("<g class=\"legend-entry\" " + series_attribute(si) + ">\n");
    if (!s.band_low.empty()) w.rect(lx, ly - 6, 24, 12, colors[si], "fill-opacity=\"0.18\"");
    w.line(lx, ly, lx + 24, ly, colors[si], 2, s.dashed);
    if (s.markers) w.raw("<circle cx=\"" + number(lx + 12) + "\" cy=\"" + number(ly) + "\" r=\"3\" fill=\"" + colors[si] + "\"/>\n");
    w.text(lx + 30, ly + 4, s.name, legend_size, "start");
    if (!legend_notes[si].empty()) {
      ly += 13;
      w.text(lx + 30, ly + 4, legend_notes[si], note_size, "start");
    }
    w.raw("</g>\n");
    ly += 18;
  }
  w.raw("</g>\n");
}

INDUCT_DETAIL void draw_heatmap(writer& w, const heatmap_chart& chart, double x0, double y0, double width, double height) {
  constexpr double title_size = 15, label_size = 12, tick_size = 10.5;
  const std::size_t rows = chart.row_labels.size(), columns = chart.column_labels.size();
  if (chart.values.size() != rows)
    throw error("heatmap '" + chart.title + "': " + std::to_string(chart.values.size()) + " value rows for " +
                std::to_string(rows) + " row labels");
  for (const auto& row : chart.values)
    if (row.size() != columns)
      throw error("heatmap '" + chart.title + "': a row has " + std::to_string(row.size()) + " values for " +
                  std::to_string(columns) + " column labels");
  double vmin = std::numeric_limits<double>::infinity(), vmax = -vmin;
  for (const auto& row : chart.values)
    for (double v : row)
      if (std::isfinite(v)) vmin = std::min(vmin, v), vmax = std::max(vmax, v);
  if (!std::isfinite(vmin)) vmin = 0, vmax = 1;
  if (chart.value_min) vmin = *chart.value_min;
  if (chart.value_max) vmax = *chart.value_max;
  if (vmax <= vmin) vmax = vmin + 1;

  double row_label_width = 0;
  for (const auto& r : chart.row_labels) row_label_width = std::max(row_label_width, text_width(r, tick_size));
  const double left = x0 + 34 + row_label_width, right = x0 + width - 86;
  const double top = y0 + 34, bottom = y0 + height - 50;
  const double cell_w = columns ? (right - left) / static_cast<double>(columns) : 0;
  const double cell_h = rows ? (bottom - top) / static_cast<double>(rows) : 0;
  auto color_of = [&](double v) {
    double t = (v - vmin) / (vmax - vmin);
    if (chart.low_is_good) t = 1.0 - t;
    return viridis(t);
  };

  w.raw("<g class=\"heatmap\">\n");
  w.rect(x0, y0, width, height, "#ffffff");
  w.text(x0 + width / 2, y0 + 20, chart.title, title_size, "middle", "font-weight=\"bold\"");
  const double label_font = std::clamp(std::min(cell_h * 0.38, cell_w / 4.2), 7.0, 12.0);
  for (std::size_t r = 0; r < rows; ++r) {
    const double cy = top + cell_h * static_cast<double>(r);
    w.text(left - 6, cy + cell_h / 2 + 3.5, chart.row_labels[r], tick_size, "end");
    for (std::size_t c = 0; c < columns; ++c) {
      const double cx = left + cell_w * static_cast<double>(c);
      const double v = chart.values[r][c];
      if (!std::isfinite(v)) {
        w.rect(cx, cy, cell_w, cell_h, "#d9d9d9", "stroke=\"#ffffff\" stroke-width=\"1\"");
        w.text(cx + cell_w / 2, cy + cell_h / 2 + label_font / 3, "-", label_font, "middle", "fill=\"#555555\"");
        continue;
      }
      const auto color = color_of(v);
      w.rect(cx, cy, cell_w, cell_h, rgb(color), "stroke=\"#ffffff\" stroke-width=\"1\"");
      const double luminance = 0.299 * color[0] + 0.587 * color[1] + 0.114 * color[2];
      w.text(cx + cell_w / 2, cy + cell_h / 2 + label_font / 3, format_value(v, chart.label_digits), label_font, "middle",
             luminance > 140 ? "fill=\"#000000\"" : "fill=\"#ffffff\"");
    }
  }
  for (std::size_t c = 0; c < columns; ++c)
    w.text(left + cell_w * (static_cast<double>(c) + 0.5), bottom + 15, chart.column_labels[c], tick_size);
  w.text((left + right) / 2, y0 + height - 12, chart.x_label, label_size);
  {
    const double cx = x0 + 14, cy = (top + bottom) / 2;
    w.text(cx, cy, chart.y_label, label_size, "middle",
           ("transform=\"rotate(-90 " + number(cx) + " " + number(cy) + ")\"").c_str());
  }
  // Colour scale: a vertical bar of 40 steps, labelled at linear ticks.
  const double bar_x = right + 16, bar_w = 14;
  constexpr int steps = 40;
  for (int i = 0; i < steps; ++i) {
    const double v_top = vmax - (vmax - vmin) * i / steps;
    const double py = top + (bottom - top) * i / steps;
    w.rect(bar_x, py, bar_w, (bottom - top) / steps + 0.5, rgb(color_of(v_top - (vmax - vmin) / (2.0 * steps))));
  }
  w.rect(bar_x, top, bar_w, bottom - top, "none", "stroke=\"#333333\" stroke-width=\"0.8\"");
  for (double t : linear_ticks(vmin, vmax, 5)) {
    const double py = bottom - (t - vmin) / (vmax - vmin) * (bottom - top);
    w.line(bar_x + bar_w, py, bar_x + bar_w + 3, py, "#333333", 1);
    w.text(bar_x + bar_w + 5, py + 3.5, tick_label(t), tick_size - 1, "start");
  }
  {
    const double cx = x0 + width - 8, cy = (top + bottom) / 2;
    w.text(cx, cy, chart.value_label, label_size - 1, "middle",
           ("transform=\"rotate(-90 " + number(cx) + " " + number(cy) + ")\"").c_str());
  }
  w.raw("</g>\n");
}

INDUCT_DETAIL std::string document(double width, double height, const std::string& body) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + number(width) +
         "\" height=\"" + number(height) + "\" viewBox=\"0 0 " + number(width) + " " + number(height) +
         "\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n" + body + "</svg>\n";
}

}  // namespace svg_detail

INDUCT_DEFINE std::string render_svg(const line_chart& chart, double width, double height) {
  svg_detail::writer w;
  svg_detail::draw_line_chart(w, chart, 0, 0, width, height);
  return svg_detail::document(width, height, w.str());
}

INDUCT_DEFINE std::string render_svg(const heatmap_chart& chart, double width, double height) {
  svg_detail::writer w;
  svg_detail::draw_heatmap(w, chart, 0, 0, width, height);
  return svg_detail::document(width, height, w.str());
}

INDUCT_DEFINE std::string render_svg(const figure& fig) {
  if (fig.columns < 1) throw error("figure '" + fig.title + "': columns must be >= 1");
  const auto count = static_cast<int>(fig.panels.size());
  const int columns = std::max(1, std::min(fig.columns, count));
  const int rows = (count + columns - 1) / columns;
  const double header = fig.title.empty() ? 0.0 : 34.0;
  const double width = fig.panel_width * columns, height = header + fig.panel_height * std::max(rows, 1);
  svg_detail::writer w;
  w.rect(0, 0, width, height, "#ffffff");
  if (!fig.title.empty()) w.text(width / 2, 23, fig.title, 17, "middle", "font-weight=\"bold\"");
  for (int i = 0; i < count; ++i) {
    const double x = fig.panel_width * (i % columns), y = header + fig.panel_height * (i / columns);
    std::visit(
        [&](const auto& panel) {
          if constexpr (std::is_same_v<std::decay_t<decltype(panel)>, line_chart>)
            svg_detail::draw_line_chart(w, panel, x, y, fig.panel_width, fig.panel_height);
          else
            svg_detail::draw_heatmap(w, panel, x, y, fig.panel_width, fig.panel_height);
        },
        fig.panels[static_cast<std::size_t>(i)]);
  }
  return svg_detail::document(width, height, w.str());
}

}  // namespace induct::experiment
