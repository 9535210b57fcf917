#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace netcorr::report {

// Makes text safe and measurable on a terminal: printable ASCII stays, "\n", "\r", "\t" and
// every other byte (control characters, and non-ASCII bytes as strace prints them) become
// escapes such as "\x1b". The result is pure printable ASCII, so its length is its width in
// columns and nothing a tracee or a packet carries can move the cursor or change colours.
std::string EscapeForTerminal(std::string_view text);

// netcorr's own prose (finding summaries, hints) may use typographic punctuation: em and en
// dashes, curly quotes, ellipsis, arrows, non-breaking spaces. This spells them in ASCII ("--",
// "'", "...", "->", " ") so the report stays readable where EscapeForTerminal would show bytes.
// Everything else is left for EscapeForTerminal. Not for bytes from the tracee or the wire.
std::string AsciiPunctuation(std::string_view text);

// Splits printable ASCII text into lines of at most `width` columns, breaking after spaces when
// it can and inside a word when it must. Continuation lines start with `indent` spaces (counted
// in the width). Never returns an empty vector: "" gives {""}. width must exceed indent.
std::vector<std::string> WrapText(std::string_view text, size_t width, size_t indent = 0);

// text padded with spaces to `width` columns (text must already fit).
std::string PadRight(std::string_view text, size_t width);

}  // namespace netcorr::report
