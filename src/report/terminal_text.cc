#include "src/report/terminal_text.h"

#include "absl/strings/str_format.h"

namespace netcorr::report {

std::string EscapeForTerminal(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char ch : text) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c < 0x7F) {
      out.push_back(ch);
    } else if (c == '\n') {
      out.append("\\n");
    } else if (c == '\r') {
      out.append("\\r");
    } else if (c == '\t') {
      out.append("\\t");
    } else {
      absl::StrAppendFormat(&out, "\\x%02x", static_cast<int>(c));
    }
  }
  return out;
}

std::string AsciiPunctuation(std::string_view text) {
  static constexpr struct {
    std::string_view utf8;
    std::string_view ascii;
  } kTable[] = {
      {"\u2014", "--"}, {"\u2013", "-"},  {"\u2212", "-"},   {"\u2018", "'"},  {"\u2019", "'"},
      {"\u201c", "\""}, {"\u201d", "\""}, {"\u2026", "..."}, {"\u2192", "->"}, {"\u2190", "<-"},
      {"\u00a0", " "},  {"\u2248", "~"},  {"\u2264", "<="},  {"\u2265", ">="}, {"\u00d7", "x"},
  };
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    bool replaced = false;
    if (static_cast<unsigned char>(text[i]) >= 0x80) {
      for (const auto& entry : kTable) {
        if (text.substr(i, entry.utf8.size()) == entry.utf8) {
          out.append(entry.ascii);
          i += entry.utf8.size();
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) out.push_back(text[i++]);
  }
  return out;
}

std::vector<std::string> WrapText(std::string_view text, size_t width, size_t indent) {
  std::vector<std::string> lines;
  if (width <= indent) indent = 0;
  if (width == 0) width = 1;
  while (true) {
    const size_t prefix = lines.empty() ? 0 : indent;
    const size_t room = width - prefix;
    if (!lines.empty()) {
      // A continuation never starts with the space it was broken at.
      while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    }
    if (text.size() <= room) {
      if (!lines.empty() && text.empty()) break;
      lines.push_back(std::string(prefix, ' ') + std::string(text));
      break;
    }
    // Break after the last space that keeps the line within room, else hard-break.
    size_t cut = room;
    const size_t space = text.substr(0, room + 1).find_last_of(' ');
    if (space != std::string_view::npos && space > 0) cut = space;
    std::string_view line = text.substr(0, cut);
    while (!line.empty() && line.back() == ' ') line.remove_suffix(1);
    lines.push_back(std::string(prefix, ' ') + std::string(line));
    text.remove_prefix(cut);
  }
  return lines;
}

std::string PadRight(std::string_view text, size_t width) {
  std::string out(text);
  if (out.size() < width) out.append(width - out.size(), ' ');
  return out;
}

}  // namespace netcorr::report
