#pragma once
// Definitions for experiment/report_page.hpp (see induct/core/linkage.hpp for the two modes).
#include <cstdint>
#include <filesystem>
#include <string>
#include <system_error>

#include <nlohmann/json.hpp>

#include "induct/core/atomic_file.hpp"
#include "induct/experiment/report_page.hpp"

namespace induct::experiment {

INDUCT_DEFINE std::string base64(const std::string& bytes) {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const std::uint32_t v = (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16) |
                            (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8) |
                            static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 2]));
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  if (i < bytes.size()) {
    std::uint32_t v = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? alphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

INDUCT_DEFINE std::string html_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

INDUCT_DEFINE std::string report_html(const report_page& page, const std::filesystem::path& folder) {
  std::string h;
  h += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>";
  h += html_escape(page.title);
  h += "</title>\n<style>\n"
       "body{font-family:system-ui,sans-serif;max-width:1100px;margin:24px auto;padding:0 16px;color:#222}\n"
       "h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}\n"
       "table.facts td{padding:2px 14px 2px 0;vertical-align:top}table.facts td:first-child{color:#555}\n"
       "pre{background:#f6f6f6;padding:10px;overflow-x:auto;font-size:12px;line-height:1.35}\n"
       "img{max-width:100%;border:1px solid #eee;margin:8px 0}p.findings{font-size:15px;line-height:1.5}\n"
       "</style>\n</head>\n<body>\n<h1>";
  h += html_escape(page.title);
  h += "</h1>\n";
  if (!page.facts.empty()) {
    h += "<table class=\"facts\">\n";
    for (const auto& [key, value] : page.facts) {
      h += "<tr><td>";
      h += html_escape(key);
      h += "</td><td>";
      h += html_escape(value);
      h += "</td></tr>\n";
    }
    h += "</table>\n";
  }
  if (!page.findings.empty()) {
    h += "<h2>What it shows</h2>\n<p class=\"findings\">";
    h += html_escape(page.findings);
    h += "</p>\n";
  }
  if (!page.table_text.empty()) {
    h += "<h2>Table</h2>\n<pre>";
    h += html_escape(page.table_text);
    h += "</pre>\n";
  }
  bool any_plot = false;
  for (const auto& name : page.plots) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(folder / name, ec)) continue;
    if (!any_plot) h += "<h2>Plots</h2>\n";
    any_plot = true;
    h += "<figure><img alt=\"";
    h += html_escape(name);
    h += "\" src=\"data:image/svg+xml;base64,";
    h += base64(read_text_file(folder / name));
    h += "\"><figcaption><a href=\"";
    h += html_escape(name);
    h += "\">";
    h += html_escape(name);
    h += "</a></figcaption></figure>\n";
  }
  bool any_file = false;
  for (const auto& name : page.files) {
    std::error_code ec;
    if (!std::filesystem::exists(folder / name, ec)) continue;
    if (!any_file) h += "<h2>Files</h2>\n<ul>\n";
    any_file = true;
    h += "<li><a href=\"";
    h += html_escape(name);
    h += "\">";
    h += html_escape(name);
    h += "</a></li>\n";
  }
  if (any_file) h += "</ul>\n";
  if (!page.config.is_null()) {
    h += "<h2>Configuration</h2>\n<details><summary>the run's configuration (JSON)</summary><pre>";
    h += html_escape(page.config.dump(2));
    h += "</pre></details>\n";
  }
  h += "</body>\n</html>\n";
  return h;
}

INDUCT_DEFINE void write_report_page(const report_page& page, const std::filesystem::path& folder) {
  write_text_atomically(folder / "report.html", report_html(page, folder));
}

}  // namespace induct::experiment
