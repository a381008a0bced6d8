#include "probe/host/agent_version.h"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "tests/unit/scratch.h"

namespace ssmreach {
namespace {

namespace fs = std::filesystem;

const std::string kFixtures = std::string(SSM_REACH_SOURCE_DIR) + "/tests/agent/";

class TempDir : public testing::TempDir {
 public:
  TempDir() : testing::TempDir("agent_version_test") {}
  // A copy of a fixture script with exactly `mode`: a checkout's umask must
  // not decide whether the binary check lets it run.
  std::string script(const std::string& fixture, mode_t mode = 0700) const {
    const std::string file = path(fixture);
    fs::copy_file(kFixtures + fixture, file, fs::copy_options::overwrite_existing);
    REQUIRE(::chmod(file.c_str(), mode) == 0);
    return file;
  }
};

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

// Sources that all point nowhere; each test turns on what it needs.
AgentVersionSources no_sources() {
  AgentVersionSources s;
  s.dpkg_status = "/nonexistent/status";
  s.snap_yaml = "/nonexistent/snap.yaml";
  s.agent_log = "/nonexistent/amazon-ssm-agent.log";
  s.agent_binaries = {"/nonexistent/amazon-ssm-agent"};
  return s;
}

TEST_CASE("version strings and comparison") {
  CHECK(parse_version("3.3.40.0") == std::vector<unsigned>{3, 3, 40, 0});
  CHECK(parse_version("v2.3.871.0") == std::vector<unsigned>{2, 3, 871, 0});
  CHECK(parse_version("3") == std::vector<unsigned>{3});
  for (const char* bad : {"", "v", "3.", ".3", "3..4", "3.3.40.0-1", "3.a", "-3", "99999999999.1"})
    CHECK_FALSE_MESSAGE(parse_version(bad), bad);

  struct Case {
    const char* a;
    const char* b;
    int expected;
  };
  for (const auto& c : {
           Case{"3.3.40.0", "3.3.9.0", 1},  // numeric, not text: 40 > 9
           Case{"3.3.9.0", "3.3.40.0", -1},
           Case{"3.10.0.0", "3.3.40.0", 1},  // 10 > 3 in the second part
           Case{"3.3.40.0", "3.10.0.0", -1},
           Case{"3.3.40.0", "3.3.40.0", 0},
           Case{"3.3.40", "3.3.40.0", 0},  // missing parts are 0
           Case{"3.3.40.1", "3.3.40", 1},
           Case{"4", "3.99.99.99", 1},
       }) {
    const std::string label = std::string(c.a) + " vs " + c.b;
    INFO(label);
    CHECK(compare_versions(*parse_version(c.a), *parse_version(c.b)) == c.expected);
  }

  auto v = [](const char* text) {
    AgentVersion out;
    out.version = text;
    out.components = parse_version(text).value_or(std::vector<unsigned>{});
    return out;
  };
  CHECK(at_least(v("3.3.40.0"), kAgentMessagesFallbackVersion));
  CHECK(at_least(v("3.10.0.0"), "3.3.40.0"));
  CHECK(at_least(v("3.3.131.0"), "3.3.40.0"));
  CHECK_FALSE(at_least(v("3.3.9.0"), "3.3.40.0"));
  CHECK_FALSE(at_least(v("3.2.582.0"), "3.3.40.0"));
  CHECK_FALSE(at_least(AgentVersion{}, "0"));   // unknown is never new enough
  CHECK_FALSE(at_least(v("3.3.40.0"), "3.x"));  // a bad minimum is no answer
}

TEST_CASE("dpkg status: the installed package's upstream version") {
  std::string note;
  CHECK(agent_version_from_dpkg(kFixtures + "dpkg-status", &note) == "3.3.40.0");

  note.clear();
  CHECK_FALSE(agent_version_from_dpkg(kFixtures + "dpkg-status-removed", &note));
  CHECK(contains(note, "not installed (Status: deinstall ok config-files)"));

  TempDir dir;
  note.clear();
  CHECK_FALSE(agent_version_from_dpkg(
      dir.write("status", "Package: curl\nStatus: install ok installed\nVersion: 7.88.1-10\n"),
      &note));
  CHECK(contains(note, "lists no amazon-ssm-agent"));

  note.clear();
  CHECK(agent_version_from_dpkg(
            dir.write("epoch",
                      "Package: amazon-ssm-agent\r\nStatus: install ok installed\r\n"
                      "Version: 1:3.2.923.0-1\r\n"),
            &note) == "3.2.923.0");

  note.clear();
  CHECK_FALSE(agent_version_from_dpkg(dir.path("missing"), &note));
  CHECK(contains(note, "does not exist"));
}

TEST_CASE("dpkg status: the agent's stanza among many, found without parsing the others") {
  TempDir dir;
  std::string status;
  for (int i = 0; i < 2000; ++i)
    status += "Package: pkg" + std::to_string(i) +
              "\nStatus: install ok installed\nVersion: 1.0.0\nDescription: x\n  Package: "
              "amazon-ssm-agent\n\n";
  status +=
      "Package: amazon-ssm-agent-plugin\nStatus: install ok installed\nVersion: 9.9.9.9\n\n"
      "Package: amazon-ssm-agent\nStatus: deinstall ok config-files\nVersion: 3.1.0.0-1\n\n"
      "Package: amazon-ssm-agent\nArchitecture: arm64\nStatus: install ok installed\n"
      "Version: 3.3.551.0-1\n\nPackage: zz\nVersion: 1\n";
  std::string note;
  CHECK(agent_version_from_dpkg(dir.write("status", status), &note) == "3.3.551.0");

  // The last stanza, without a newline at the end; a blank line of spaces.
  note.clear();
  CHECK(agent_version_from_dpkg(dir.write("last",
                                          "Package: a\n \nVersion: 1\nPackage: "
                                          "amazon-ssm-agent\nStatus: install ok "
                                          "installed\nVersion: 3.2.1.0-1"),
                                &note) == "3.2.1.0");

  note.clear();
  CHECK_FALSE(agent_version_from_dpkg(dir.write("empty", ""), &note));
  CHECK(contains(note, "lists no amazon-ssm-agent"));
}

TEST_CASE("snap metadata, agent log") {
  std::string note;
  CHECK(agent_version_from_snap(kFixtures + "snap.yaml", &note) == "3.3.987.0");
  TempDir dir;
  CHECK(agent_version_from_snap(
            dir.write("unquoted.yaml", "name: amazon-ssm-agent\nversion: 3.1.1188.0\n"), &note) ==
        "3.1.1188.0");
  note.clear();
  CHECK_FALSE(agent_version_from_snap(dir.write("none.yaml", "name: amazon-ssm-agent\n"), &note));
  CHECK(contains(note, "no version line"));

  note.clear();
  CHECK(agent_version_from_log(kFixtures + "amazon-ssm-agent.log", &note) ==
        "3.3.131.0");  // the latest start
  CHECK(agent_version_from_log(kFixtures + "amazon-ssm-agent-v2.log", &note) == "2.3.871.0");
  note.clear();
  CHECK_FALSE(
      agent_version_from_log(dir.write("quiet.log", "INFO nothing here v1.2.3.4\n"), &note));
  CHECK(contains(note, "no start-up line"));
}

TEST_CASE("the agent log is read only at its tail") {
  TempDir dir;
  std::string start = "2024-01-01 00:00:00 INFO [amazon-ssm-agent] amazon-ssm-agent - v3.3.40.0\n";
  std::string filler(2 << 20, 'x');  // 2 MiB after the start line
  std::string note;
  CHECK_FALSE(agent_version_from_log(dir.write("long.log", start + filler + "\n"), &note));
  CHECK(contains(note, "last 1 MiB"));
  CHECK(agent_version_from_log(dir.write("recent.log", filler + "\n" + start), &note) ==
        "3.3.40.0");
}

TEST_CASE("running the agent binary with -version") {
  TempDir dir;
  std::string note;
  CHECK(agent_version_from_binary(dir.script("fake-agent.sh"), 2.0, &note) == "3.3.551.0");

  note.clear();
  CHECK_FALSE(agent_version_from_binary(dir.script("fake-agent-silent.sh"), 2.0, &note));
  CHECK(contains(note, "exited with status 2 without printing a version"));

  struct Refused {
    std::string binary;
    const char* note_part;
  };
  auto plain = dir.write("plain-file", "#!/bin/sh\necho 'SSM Agent version: 1.2.3.4'\n");
  REQUIRE(::chmod(plain.c_str(), 0600) == 0);
  for (const auto& r : {
           Refused{"amazon-ssm-agent", "not an absolute path"},
           Refused{dir.path("missing"), "does not exist"},
           Refused{dir.path(""), "not an executable file"},  // the directory itself
           Refused{plain, "not an executable file"},
           Refused{dir.script("fake-agent.sh", 0777), "writable by others"},
       }) {
    INFO(r.binary);
    note.clear();
    CHECK_FALSE(agent_version_from_binary(r.binary, 2.0, &note));
    CHECK(contains(note, r.note_part));
  }
}

TEST_CASE("an agent binary that hangs is stopped after the timeout") {
  TempDir dir;
  auto hang = dir.script("fake-agent-hang.sh");
  std::string note;
  auto started = std::chrono::steady_clock::now();
  auto version = agent_version_from_binary(hang, 2.0, &note);
  auto took = std::chrono::steady_clock::now() - started;
  CHECK_FALSE(version);
  CHECK(contains(note, "no answer within 2.0 s"));
  CHECK(took >= std::chrono::seconds(2));
  CHECK(took < std::chrono::seconds(30));  // generous: the kill must not wait for `sleep 300`
}

TEST_CASE("sources are tried in order: dpkg, snap, log, binary") {
  TempDir dir;
  auto all = no_sources();
  all.dpkg_status = kFixtures + "dpkg-status";
  all.snap_yaml = kFixtures + "snap.yaml";
  all.agent_log = kFixtures + "amazon-ssm-agent.log";
  all.agent_binaries = {dir.script("fake-agent.sh")};

  struct Step {
    const char* source;
    const char* version;
  };
  for (const auto& step : {Step{"dpkg", "3.3.40.0"}, Step{"snap", "3.3.987.0"},
                           Step{"log", "3.3.131.0"}, Step{"exec", "3.3.551.0"}}) {
    const std::string label = step.source;
    INFO(label);
    auto v = detect_agent_version(all);
    CHECK(v.known());
    CHECK(v.source == step.source);
    CHECK(v.version == step.version);
    CHECK(v.components == *parse_version(step.version));
    // Take the winning source away for the next round.
    if (v.source == "dpkg") all.dpkg_status = kFixtures + "dpkg-status-removed";
    if (v.source == "snap") all.snap_yaml.clear();
    if (v.source == "log") all.agent_log = dir.path("no.log");
  }
  auto v = detect_agent_version(all);
  CHECK(v.path == all.agent_binaries[0]);
  auto notes = joined(v.notes);
  CHECK(contains(notes, "dpkg: amazon-ssm-agent is not installed"));
  CHECK(contains(notes, "log: " + dir.path("no.log") + " does not exist"));
  CHECK_FALSE(contains(notes, "snap:"));  // an empty path is skipped silently
}

TEST_CASE("nothing found: unknown, with a note per source") {
  TempDir dir;
  auto s = no_sources();
  s.agent_binaries = {"/nonexistent/amazon-ssm-agent", dir.script("fake-agent-silent.sh")};
  auto v = detect_agent_version(s);
  CHECK_FALSE(v.known());
  CHECK(v.version.empty());
  CHECK(v.source.empty());
  CHECK(v.notes.size() == 5);
  CHECK_FALSE(at_least(v, kAgentMessagesFallbackVersion));
}

}  // namespace
}  // namespace ssmreach
