// `ssm-reach explain FILE` on any file: the evidence reader, then the
// diagnosis and every report (text at two widths, JSON, boot summary,
// Prometheus metrics) on
// whatever it accepts. Evidence files travel by e-mail and serial console
// and may be hand-edited: nothing in them is trusted.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "probe/diagnose/diagnosis.h"
#include "probe/evidence/evidence_file.h"
#include "probe/report/report.h"
#include "probe/report/report_boot.h"
#include "probe/report/report_prometheus.h"
#include "probe/util/json_depth.h"
#include "tests/fuzz/fuzz_input.h"

#ifndef SSM_REACH_FUZZ_REPLAY
// Byte mutations rarely keep an evidence file valid JSON of the right
// shape, and the reader refuses anything else: most of the diagnosis and the
// reports would stay unreached. This mutator changes one value of a valid
// file instead (an extreme number, an odd string, an array emptied or
// repeated), the way a hand-edited or damaged file differs; it falls back
// to libFuzzer's byte mutations for inputs that are not JSON.
namespace {

using Json = nlohmann::json;

void collect(Json& node, std::vector<Json*>& nodes) {
  nodes.push_back(&node);
  if (node.is_structured())
    for (auto& child : node) collect(child, nodes);
}

void mutate_value(Json& node, std::minstd_rand& random, const std::vector<Json*>& nodes) {
  const auto pick = [&](std::size_t n) { return static_cast<std::size_t>(random() % n); };
  if (node.is_number()) {
    static const double kNumbers[] = {0,     -1,    -0.0,  0.5,          1e-300,        -1e308,
                                      1e308, 65535, 65536, 4294967296.0, -2147483649.0, 9.2e18,
                                      1e19};
    if (node.is_number_float() || pick(2) == 0)
      node = kNumbers[pick(std::size(kNumbers))];
    else
      node = pick(2) ? std::numeric_limits<std::int64_t>::min()
                     : std::numeric_limits<std::int64_t>::max();
  } else if (node.is_string()) {
    static const char* const kStrings[] = {"",
                                           "\x01\x1b[31m\r\n\t",
                                           "%s%n%x",
                                           "::",
                                           "0.0.0.0",
                                           "255.255.255.255",
                                           "::ffff:1.2.3.4",
                                           "fd00::1%eth0",
                                           "not an address",
                                           "\xc3\xa9\xe2\x80\x8f",
                                           "ok",
                                           "timeout",
                                           "error"};
    switch (pick(4)) {
      case 0:
        node = std::string(100 + pick(4000), 'A');
        break;
      case 1: {
        const Json* other = nodes[pick(nodes.size())];
        if (other->is_string()) node = *other;
        break;
      }
      default:
        node = kStrings[pick(std::size(kStrings))];
    }
  } else if (node.is_boolean()) {
    node = !node.get<bool>();
  } else if (node.is_array()) {
    if (node.empty() || pick(3) == 0) {
      node = Json::array();
    } else {
      const Json element = node[pick(node.size())];
      const std::size_t copies = pick(2) ? 1 : 16;
      for (std::size_t i = 0; i < copies; ++i) node.push_back(element);
    }
  } else if (node.is_object() && !node.empty()) {
    auto it = node.begin();
    std::advance(it, static_cast<std::ptrdiff_t>(pick(node.size())));
    it.value() = nullptr;
  }
}

}  // namespace

extern "C" std::size_t LLVMFuzzerMutate(std::uint8_t* data, std::size_t size, std::size_t max_size);

extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size,
                                               std::size_t max_size, unsigned int seed) {
  std::minstd_rand random(seed);
  // collect() recurses: a seed nested deeper than any evidence file may be
  // (the reader refuses it; see the nested-too-deep regression inputs) gets
  // byte mutations only, or this mutator itself would overflow the stack.
  if (ssmreach::json_nested_too_deeply(ssmreach::fuzz::as_text(data, size)))
    return LLVMFuzzerMutate(data, size, max_size);
  Json document = Json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded() || random() % 8 == 0) return LLVMFuzzerMutate(data, size, max_size);
  const auto changes = 1 + random() % 3;
  for (unsigned i = 0; i < changes; ++i) {
    // Collected again after each change: a change to an array or an object
    // may move its elements.
    std::vector<Json*> nodes;
    collect(document, nodes);
    mutate_value(*nodes[random() % nodes.size()], random, nodes);
  }
  const std::string text = document.dump(1, ' ', false, Json::error_handler_t::replace);
  if (text.size() > max_size) return LLVMFuzzerMutate(data, size, max_size);
  std::memcpy(data, text.data(), text.size());
  return text.size();
}
#endif

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ssmreach;
  std::string error;
  auto evidence = evidence_from_json(fuzz::as_text(data, size), &error);
  if (!evidence) {
    fuzz::require(!error.empty(), "a refused evidence file says why");
    return 0;
  }
  const Verdict verdict = diagnose(*evidence);
  (void)render_text(*evidence, verdict, TextStyle{false, 80}, "fuzz.evidence.json");
  (void)render_text(*evidence, verdict, TextStyle{true, 40});
  (void)render_json(*evidence, verdict);
  (void)render_boot_summary(verdict, "/var/log/ssm-reach.json");
  (void)render_prometheus(*evidence, verdict);
  // What the reader accepted, written again, is read again (save, then
  // explain, on a support engineer's laptop).
  std::string again_error;
  fuzz::require(evidence_from_json(evidence_to_json(*evidence), &again_error).has_value(),
                "evidence_to_json output is accepted by evidence_from_json");
  return 0;
}
