#include "probe/fleet/fleet_report.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "probe/util/text_util.h"

namespace ssmreach {
namespace {

using Json = nlohmann::ordered_json;

void sort_for_attention(std::vector<InstanceVerdict>& instances) {
  std::stable_sort(instances.begin(), instances.end(), [](const auto& a, const auto& b) {
    if (a.rank() != b.rank()) return a.rank() < b.rank();
    return a.instance_id < b.instance_id;
  });
}

// "2026-12-06T10:00:00Z" as "2026-12-06 10:00:00"; "-" when unknown.
std::string shown_time(const std::string& iso) {
  if (iso.size() < 19 || !parse_utc(iso)) return "-";
  std::string out = iso.substr(0, 19);
  out[10] = ' ';
  return out;
}

std::string cause_id(const std::optional<Cause>& cause) { return cause ? to_string(*cause) : "-"; }

std::string layer_id(const std::optional<Cause>& cause) {
  return cause ? to_string(layer_of(*cause)) : "-";
}

struct Row {
  std::string cells[6];
};

Row table_row(const InstanceVerdict& v) {
  Row row{{v.instance_id, shown_time(v.last.checked_at), v.word(), "-", "-", "-"}};
  if (v.kind == FleetKind::no_boot_check || v.kind == FleetKind::unknown_format) {
    row.cells[1] = v.kind == FleetKind::no_boot_check ? "-" : row.cells[1];
    return row;
  }
  if (!v.failing.empty()) {
    const auto& first = v.failing.front();
    row.cells[3] = first.target;
    if (v.failing.size() > 1) row.cells[3] += " +" + std::to_string(v.failing.size() - 1);
    row.cells[4] = layer_id(first.cause);
    row.cells[5] = cause_id(first.cause);
  } else if (v.kind == FleetKind::checked && v.status() != Status::ok) {
    row.cells[3] = "?";  // its target lines were cut or garbled
  }
  return row;
}

// "2 CRITICAL, 1 incomplete, 3 ok" in the table's order.
std::string summary_line(const std::vector<InstanceVerdict>& instances) {
  std::vector<std::pair<int, std::string>> seen;  // rank, word
  std::map<std::string, int> counts;
  for (const auto& v : instances) {
    if (counts[v.word()]++ == 0) seen.emplace_back(v.rank(), v.word());
  }
  std::vector<std::string> parts;
  for (const auto& [rank, word] : seen) parts.push_back(std::to_string(counts[word]) + " " + word);
  return count_of(instances.size(), "instance", "instances") + ": " + join(parts, ", ");
}

Json target_json(const BootTargetLine& t) {
  return Json{{"target", t.target},
              {"status", to_string(t.status)},
              {"failed_layer", t.cause ? Json(to_string(layer_of(*t.cause))) : Json(nullptr)},
              {"cause", t.cause ? Json(to_string(*t.cause)) : Json(nullptr)},
              {"text", t.text}};
}

Json instance_json(const InstanceVerdict& v) {
  const bool has_check = v.kind != FleetKind::no_boot_check;
  auto text_or_null = [](const std::string& s) { return s.empty() ? Json(nullptr) : Json(s); };
  Json failing = Json::array();
  for (const auto& t : v.failing) failing.push_back(target_json(t));
  Json targets = Json::array();
  for (const auto& t : v.last.targets) targets.push_back(target_json(t));
  return Json{
      {"instance_id", v.instance_id},
      {"console_timestamp", text_or_null(v.console_timestamp)},
      {"verdict", v.json_word()},
      {"exit_code", v.kind == FleetKind::checked ? Json(exit_code(v.status())) : Json(nullptr)},
      {"boot_checks", v.boot_checks},
      {"format", has_check ? Json(v.last.format) : Json(nullptr)},
      {"tool_version", text_or_null(v.last.tool_version)},
      {"checked_at", text_or_null(v.last.checked_at)},
      {"failing", failing},
      {"targets", targets},
      {"notes", v.last.notes},
      {"unreadable_lines", v.last.unreadable_lines}};
}

}  // namespace

int fleet_exit_code(const std::vector<InstanceVerdict>& instances) {
  int code = 0;
  for (const auto& v : instances) code = std::max(code, v.exit_contribution());
  return code;
}

std::string render_fleet_text(std::vector<InstanceVerdict> instances) {
  sort_for_attention(instances);
  std::vector<Row> rows{{{"INSTANCE", "CHECKED (UTC)", "VERDICT", "TARGET", "LAYER", "CAUSE"}}};
  for (const auto& v : instances) rows.push_back(table_row(v));
  std::size_t widths[6] = {};
  for (const auto& row : rows)
    for (int i = 0; i < 6; ++i) widths[i] = std::max(widths[i], row.cells[i].size());
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (int i = 0; i < 6; ++i) {
      line += row.cells[i];
      if (i < 5) line += std::string(widths[i] - row.cells[i].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out + "\n" + summary_line(instances) + "\n";
}

std::string render_fleet_json(std::vector<InstanceVerdict> instances) {
  sort_for_attention(instances);
  Json list = Json::array();
  Json summary = Json::object();
  for (const auto& v : instances) {
    list.push_back(instance_json(v));
    summary[v.json_word()] = summary.value(v.json_word(), 0) + 1;
  }
  Json out{{"schema", "ssm-reach-fleet/v1"},
           {"instances", list},
           {"summary", summary},
           {"exit_code", fleet_exit_code(instances)}};
  return out.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

}  // namespace ssmreach
