#include "infra/storage/s3_xml.hpp"

#include <utility>

#include "infra/text/markup.hpp"

namespace companion::storage::s3 {
namespace {

std::string xml_unescape(std::string_view s) {
  static constexpr std::pair<std::string_view, char> kEntities[] = {
      {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    bool replaced = false;
    if (s[i] == '&') {
      for (auto [entity, c] : kEntities) {
        if (s.substr(i, entity.size()) == entity) {
          out += c;
          i += entity.size();
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) out += s[i++];
  }
  return out;
}

}  // namespace

std::string xml_text(std::string_view doc, std::string_view tag) {
  std::string open = "<" + std::string(tag) + ">";
  std::string close = "</" + std::string(tag) + ">";
  auto b = doc.find(open);
  if (b == std::string_view::npos) return {};
  b += open.size();
  auto e = doc.find(close, b);
  if (e == std::string_view::npos) return {};
  return xml_unescape(doc.substr(b, e - b));
}

std::string error_summary(std::string_view doc) {
  std::string out;
  auto code = xml_text(doc, "Code");
  auto text = xml_text(doc, "Message");
  if (!code.empty()) out += " " + code;
  if (!text.empty()) out += ": " + text;
  return out;
}

bool upload_completed(std::string_view doc) {
  return doc.find("<Error>") == std::string_view::npos &&
         doc.find("CompleteMultipartUploadResult") != std::string_view::npos;
}

std::string complete_upload_document(const std::vector<std::string>& etags) {
  std::string xml = "<CompleteMultipartUpload>";
  for (std::size_t i = 0; i < etags.size(); ++i)
    xml += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" +
           text::escape_markup(etags[i]) + "</ETag></Part>";
  xml += "</CompleteMultipartUpload>";
  return xml;
}

std::string create_bucket_document(std::string_view region) {
  if (region == "us-east-1") return {};
  return "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
         "<LocationConstraint>" +
         std::string(region) + "</LocationConstraint></CreateBucketConfiguration>";
}

}  // namespace companion::storage::s3
