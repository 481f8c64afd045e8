#include "tokenizer/regex.h"

#include <oniguruma.h>

#include <mutex>

#include "gpuembed/error.h"

namespace gpuembed::tok {

struct Regex::Impl {
  OnigRegex re = nullptr;
};

namespace {
std::once_flag g_onig_init;
}

Regex::Regex(const std::string& pattern, const std::string& origin) : impl_(std::make_unique<Impl>()) {
  std::call_once(g_onig_init, [] {
    OnigEncoding encs[] = {ONIG_ENCODING_UTF8};
    onig_initialize(encs, 1);
  });
  OnigErrorInfo info;
  const auto* p = reinterpret_cast<const OnigUChar*>(pattern.data());
  const int r = onig_new(&impl_->re, p, p + pattern.size(), ONIG_OPTION_NONE, ONIG_ENCODING_UTF8,
                         ONIG_SYNTAX_ONIGURUMA, &info);
  if (r != ONIG_NORMAL) {
    OnigUChar msg[ONIG_MAX_ERROR_MESSAGE_LEN];
    onig_error_code_to_str(msg, r, &info);
    impl_->re = nullptr;
    std::string why = reinterpret_cast<const char*>(msg);
#if defined(__EMSCRIPTEN__)
    if (r == ONIGERR_INVALID_CHAR_PROPERTY_NAME)
      why += " (the WebAssembly build keeps only the General_Category, POSIX, Any, Assigned and "
             "Extended_Pictographic properties; the native build has every property)";
#endif
    throw Error(ErrorCode::kModelInvalid, origin + ": regex /" + pattern + "/ does not compile: " + why);
  }
}

Regex::~Regex() {
  if (impl_ && impl_->re) onig_free(impl_->re);
}

void Regex::find_all(std::string_view text, std::vector<std::pair<size_t, size_t>>& out) const {
  out.clear();
  // A region per call: onig_search writes into it, so sharing one would break concurrent encodes.
  OnigRegion* region = onig_region_new();
  const auto* begin = reinterpret_cast<const OnigUChar*>(text.data());
  const auto* end = begin + text.size();
  size_t pos = 0;
  while (pos <= text.size()) {
    const int r = onig_search(impl_->re, begin, end, begin + pos, end, region, ONIG_OPTION_NONE);
    if (r == ONIG_MISMATCH) break;
    if (r < 0) {  // a matcher error, e.g. Oniguruma's retry limit on a pathological pattern
      onig_region_free(region, 1);
      OnigUChar msg[ONIG_MAX_ERROR_MESSAGE_LEN];
      onig_error_code_to_str(msg, r);
      throw Error(ErrorCode::kInvalidInput, std::string("tokenizer: regex search failed: ") +
                                                reinterpret_cast<const char*>(msg));
    }
    const auto b = static_cast<size_t>(region->beg[0]);
    const auto e = static_cast<size_t>(region->end[0]);
    out.emplace_back(b, e);
    if (e > b) {
      pos = e;
    } else {  // empty match: step over one UTF-8 character
      if (b >= text.size()) break;
      size_t n = 1;
      while (b + n < text.size() && (static_cast<unsigned char>(text[b + n]) & 0xC0) == 0x80) ++n;
      pos = b + n;
    }
  }
  onig_region_free(region, 1);
}

long Regex::match_at(std::string_view text, size_t pos) const {
  const auto* begin = reinterpret_cast<const OnigUChar*>(text.data());
  const int r = onig_match(impl_->re, begin, begin + text.size(), begin + pos, nullptr, ONIG_OPTION_NONE);
  return r >= 0 ? r : -1;
}

std::string Regex::escape(std::string_view literal) {
  // The meta characters of Rust's regex::escape, which HF applies to string patterns.
  std::string out;
  for (char c : literal) {
    if (std::string_view("\\.+*?()|[]{}^$#&-~").find(c) != std::string_view::npos) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

}  // namespace gpuembed::tok
