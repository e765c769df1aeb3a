#pragma once
// report.html: one self-contained page per run that a person opens in a browser (issue 18). It holds the
// configuration and seeds, the compact table, what the run shows in a paragraph computed from its
// numbers, every plot inline, and links to the raw files beside it. No network, no script: the plots
// are embedded as data URIs (base64 SVG), so each keeps its own ids and the page works when moved
// alone; the links are relative and work when the folder is moved whole.
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/linkage.hpp"

namespace induct::experiment {

/// What a report page shows, in order.
struct report_page {
  std::string title;
  std::vector<std::pair<std::string, std::string>> facts;  // "training seeds" -> "1 2 3", ...
  std::string findings;                                    // the paragraph of what the run shows
  std::string table_text;                                  // the compact table, shown preformatted
  std::vector<std::string> plots;                          // SVG files in the folder, embedded in order
  std::vector<std::string> files;                          // files in the folder, linked
  nlohmann::json config;                                   // shown folded, pretty-printed
};

/// Standard base64 (RFC 4648, with padding) of `bytes`.
INDUCT_DECLARE std::string base64(const std::string& bytes);

/// Escapes &, <, >, " and ' for HTML text and attribute values.
INDUCT_DECLARE std::string html_escape(const std::string& text);

/// The HTML document of `page`; plots and files are read from and linked relative to `folder` (a plot
/// or file that does not exist is left out, so the page never shows a broken image).
INDUCT_DECLARE std::string report_html(const report_page& page, const std::filesystem::path& folder);

/// Writes folder/report.html atomically.
INDUCT_DECLARE void write_report_page(const report_page& page, const std::filesystem::path& folder);

}  // namespace induct::experiment

#if INDUCT_HEADER_ONLY
#include "induct/experiment/detail/report_page_impl.hpp"
#endif
