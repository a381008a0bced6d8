#include "probe/host/agent_service_env.h"

#include <doctest/doctest.h>

#include <filesystem>

#include "tests/unit/scratch.h"

namespace ssmreach {
namespace {

namespace fs = std::filesystem;

using testing::TempDir;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// A root folder with systemd's layout below it.
class Root {
 public:
  // Writes `content` at `path` (absolute, below the root), making folders.
  std::string write(const std::string& path, const std::string& content) const {
    fs::create_directories(fs::path(dir_.dir() + path).parent_path());
    return dir_.write(path.substr(1), content);
  }
  void link(const std::string& path, const std::string& target) const {
    fs::create_directories(fs::path(dir_.dir() + path).parent_path());
    fs::create_symlink(target, dir_.dir() + path);
  }
  std::string at(const std::string& path) const { return dir_.dir() + path; }
  const std::string& dir() const { return root_; }
  AgentServiceEnvironment read() const { return read_agent_service_environment(root_); }

 private:
  TempDir dir_;
  std::string root_ = dir_.dir();
};

const std::string kClassic = "amazon-ssm-agent.service";
const std::string kSnap = "snap.amazon-ssm-agent.amazon-ssm-agent.service";
const std::string kUnitBody =
    "[Unit]\nDescription=amazon-ssm-agent\n\n[Service]\nType=simple\n"
    "ExecStart=/usr/bin/amazon-ssm-agent\n";

std::string all_text(const AgentServiceEnvironment& env) {
  std::string text;
  for (const auto& w : env.warnings) text += w + "\n";
  for (const auto& [k, v] : env.var_source) text += k + " " + v + "\n";
  return text;
}

TEST_CASE("agent service env: no unit, nothing to read") {
  Root root;
  auto env = root.read();
  CHECK(env.unit.empty());
  CHECK(env.vars.empty());
  CHECK(env.files_read.empty());
  CHECK(env.warnings.empty());
}

TEST_CASE("agent service env: the package's unit with drop-ins in /etc and /lib") {
  Root root;
  const auto unit = root.write("/lib/systemd/system/" + kClassic, kUnitBody);
  root.write("/lib/systemd/system/" + kClassic + ".d/10-vendor.conf",
             "[Service]\nEnvironment=VENDOR=1 NO_PROXY=vendor\n");
  // Same name in /etc: hides the /lib one entirely.
  const auto masking = root.write("/etc/systemd/system/" + kClassic + ".d/10-vendor.conf",
                                  "[Service]\nEnvironment=LOCAL=1\n");
  const auto proxy =
      root.write("/etc/systemd/system/" + kClassic + ".d/proxy.conf",
                 "[Service]\n"
                 "Environment=\"HTTPS_PROXY=http://proxy.corp:3128\" \"NO_PROXY=169.254.169.254\"\n"
                 "Environment=https_proxy=http://lower:3128 'X=two words'\n");
  // Applied before proxy.conf ("05" < "proxy"), though it lives in /run.
  const auto early = root.write("/run/systemd/system/" + kClassic + ".d/05-early.conf",
                                "[Service]\nEnvironment=HTTPS_PROXY=http://early:1\n");
  // Other sections do not count.
  root.write("/etc/systemd/system/" + kClassic + ".d/unit.conf",
             "[Unit]\nEnvironment=IGNORED=1\n[Install]\nEnvironment=IGNORED=2\n");

  auto env = root.read();
  CHECK(env.unit == kClassic);
  CHECK(env.unit_file == root.at("/lib/systemd/system/" + kClassic));
  CHECK(env.warnings.empty());
  CHECK(env.vars == std::map<std::string, std::string>{
                        {"HTTPS_PROXY", "http://proxy.corp:3128"},
                        {"LOCAL", "1"},
                        {"NO_PROXY", "169.254.169.254"},
                        {"X", "two words"},
                        {"https_proxy", "http://lower:3128"},
                    });
  CHECK(env.var_source.at("HTTPS_PROXY") == proxy);
  CHECK(env.var_source.at("LOCAL") == masking);
  CHECK(env.files_read ==
        std::vector<std::string>{unit, early, masking, proxy,
                                 root.at("/etc/systemd/system/" + kClassic + ".d/unit.conf")});
}

TEST_CASE("agent service env: an empty Environment= resets what came before") {
  Root root;
  root.write("/etc/systemd/system/" + kClassic,
             kUnitBody + "Environment=HTTPS_PROXY=http://unit:3128 KEEP=no\n");
  root.write("/etc/systemd/system/" + kClassic + ".d/a.conf",
             "[Service]\nEnvironment=\nEnvironment=AFTER=1\n");
  auto env = root.read();
  CHECK(env.vars == std::map<std::string, std::string>{{"AFTER", "1"}});
}

TEST_CASE("agent service env: dash-prefix and service.d drop-ins") {
  Root root;
  root.write("/usr/lib/systemd/system/" + kClassic, kUnitBody);
  root.write("/etc/systemd/system/service.d/10-all.conf",
             "[Service]\nEnvironment=ALL=generic SHARED=generic\n");
  root.write("/etc/systemd/system/amazon-.service.d/20-prefix.conf",
             "[Service]\nEnvironment=PREFIX=amazon- SHARED=prefix\n");
  // The more specific folder wins for the same file name.
  root.write("/usr/lib/systemd/system/amazon-ssm-.service.d/10-all.conf",
             "[Service]\nEnvironment=ALL=specific\n");
  auto env = root.read();
  CHECK(env.vars == std::map<std::string, std::string>{
                        {"ALL", "specific"}, {"PREFIX", "amazon-"}, {"SHARED", "prefix"}});
}

TEST_CASE("agent service env: EnvironmentFile= overrides Environment=, in order") {
  Root root;
  root.write("/etc/proxy.env",
             "# corporate proxy\nhttps_proxy=\"http://file:3128\"\nno_proxy=169.254.169.254\n");
  root.write("/etc/second.env", "no_proxy='localhost,169.254.169.254'\n");
  root.write("/etc/conf.d/a.env", "GLOB_A=1\n");
  root.write("/etc/conf.d/b.env", "GLOB_B=1\n");
  root.write("/etc/systemd/system/" + kClassic, kUnitBody +
                                                    "EnvironmentFile=/etc/proxy.env\n"
                                                    "Environment=https_proxy=http://inline:3128\n"
                                                    "EnvironmentFile=-/etc/missing.env\n"
                                                    "EnvironmentFile=/etc/second.env\n"
                                                    "EnvironmentFile=-/etc/conf.d/*.env\n");
  auto env = root.read();
  CHECK(env.warnings.empty());
  CHECK(env.vars.at("https_proxy") == "http://file:3128");
  CHECK(env.vars.at("no_proxy") == "localhost,169.254.169.254");
  CHECK(env.vars.at("GLOB_A") == "1");
  CHECK(env.vars.at("GLOB_B") == "1");
  CHECK(env.var_source.at("https_proxy") ==
        root.at("/etc/proxy.env") + " (EnvironmentFile= of " + kClassic + ")");
  CHECK(env.var_source.at("no_proxy") ==
        root.at("/etc/second.env") + " (EnvironmentFile= of " + kClassic + ")");

  SUBCASE("a missing file without '-' stops the service") {
    root.write("/etc/systemd/system/" + kClassic + ".d/x.conf",
               "[Service]\nEnvironmentFile=/etc/absent.env\nEnvironmentFile=relative.env\n");
    auto broken = root.read();
    REQUIRE(broken.warnings.size() == 2);
    CHECK(contains(broken.warnings[0], "x.conf:3: EnvironmentFile= is not an absolute path"));
    CHECK(contains(broken.warnings[1], "/etc/absent.env does not exist; without a '-'"));
    CHECK(contains(broken.warnings[1], "systemd does not start " + kClassic));
  }
  SUBCASE("an empty EnvironmentFile= resets the list") {
    root.write("/etc/systemd/system/" + kClassic + ".d/x.conf", "[Service]\nEnvironmentFile=\n");
    auto reset = root.read();
    CHECK(reset.vars.at("https_proxy") == "http://inline:3128");
    CHECK(reset.vars.count("no_proxy") == 0);
  }
}

TEST_CASE("agent service env: UnsetEnvironment= and DefaultEnvironment=") {
  Root root;
  root.write("/etc/systemd/system.conf",
             "[Manager]\n#DefaultEnvironment=\nDefaultEnvironment=http_proxy=http://all:80 "
             "no_proxy=default\n");
  root.write("/etc/systemd/system.conf.d/10-more.conf",
             "[Manager]\nDefaultEnvironment=http_proxy=http://all:8080 no_proxy=default\n");
  root.write("/etc/systemd/system/" + kClassic,
             kUnitBody + "Environment=A=1 B=2\nUnsetEnvironment=A B=3 no_proxy\n");
  auto env = root.read();
  CHECK(env.vars ==
        std::map<std::string, std::string>{{"B", "2"}, {"http_proxy", "http://all:8080"}});
  CHECK(env.var_source.at("http_proxy") ==
        root.at("/etc/systemd/system.conf.d/10-more.conf") + " (DefaultEnvironment=)");
}

TEST_CASE("agent service env: the snap's unit, and which unit wins") {
  Root root;
  root.write("/etc/environment", "HTTPS_PROXY=http://snap-proxy:3128\n");
  // snapd writes this; it reads /etc/environment.
  root.write("/etc/systemd/system/" + kSnap,
             "[Unit]\nDescription=Service for snap application amazon-ssm-agent\n[Service]\n"
             "EnvironmentFile=-/etc/environment\nExecStart=/usr/bin/snap run amazon-ssm-agent\n");
  auto snap = root.read();
  CHECK(snap.unit == kSnap);
  CHECK(snap.vars.at("HTTPS_PROXY") == "http://snap-proxy:3128");
  CHECK(snap.var_source.at("HTTPS_PROXY") ==
        root.at("/etc/environment") + " (EnvironmentFile= of " + kSnap + ")");

  SUBCASE("both installed: the package's unit is the agent's") {
    root.write("/lib/systemd/system/" + kClassic, kUnitBody + "Environment=WHO=classic\n");
    auto both = root.read();
    CHECK(both.unit == kClassic);
    CHECK(both.vars == std::map<std::string, std::string>{{"WHO", "classic"}});
  }
  SUBCASE("a masked package unit leaves the snap's") {
    root.write("/lib/systemd/system/" + kClassic, kUnitBody + "Environment=WHO=classic\n");
    root.link("/etc/systemd/system/" + kClassic, "/dev/null");
    auto masked = root.read();
    CHECK(masked.unit == kSnap);
    REQUIRE(masked.warnings.size() == 1);
    CHECK(contains(masked.warnings[0], kClassic + " is masked (linked to /dev/null)"));
  }
  SUBCASE("an empty unit file masks too") {
    root.write("/etc/systemd/system/" + kClassic, "");
    root.write("/lib/systemd/system/" + kClassic, kUnitBody + "Environment=WHO=classic\n");
    auto masked = root.read();
    CHECK(masked.unit == kSnap);
    CHECK(contains(masked.warnings.at(0), "(an empty file)"));
  }
}

TEST_CASE("agent service env: links are followed inside the root, /dev/null masks drop-ins") {
  Root root;
  root.write("/opt/units/" + kClassic, kUnitBody + "Environment=FROM=linked\n");
  root.link("/etc/systemd/system/" + kClassic, "/opt/units/" + kClassic);  // absolute
  root.write("/lib/systemd/system/" + kClassic + ".d/proxy.conf",
             "[Service]\nEnvironment=HTTPS_PROXY=http://vendor:3128\n");
  root.link("/etc/systemd/system/" + kClassic + ".d/proxy.conf", "/dev/null");
  root.write("/opt/env/relative.env", "REL=1\n");
  root.link("/etc/relative.env", "../opt/env/relative.env");
  root.write("/etc/systemd/system/" + kClassic + ".d/env.conf",
             "[Service]\nEnvironmentFile=/etc/relative.env\n");
  auto env = root.read();
  CHECK(env.unit == kClassic);
  CHECK(env.warnings.empty());
  CHECK(env.vars == std::map<std::string, std::string>{{"FROM", "linked"}, {"REL", "1"}});
}

TEST_CASE("agent service env: what systemd ignores is a warning without the value") {
  Root root;
  root.write("/etc/systemd/system/" + kClassic,
             kUnitBody +
                 // %40 is no specifier: systemd drops this assignment
                 "Environment=https_proxy=http://user:s3cr%40t@proxy:3128 GOOD=1\n"
                 "Environment=http_proxy=http://user:s3cr%%40t@proxy:3128\n"
                 "Environment=NOT-A-NAME=s3cret 9X=s3cret\n"
                 "Environment=A=1 \"B=s3cret\n"
                 "s3cret line without equals\n"
                 "Environment=NO_PROXY=%H\n");
  root.write("/etc/systemd/system/" + kClassic + ".d/big.conf",
             "[Service]\n#" + std::string(std::size_t{70} * 1024, 'x') + "\n");
  auto env = root.read();
  CHECK(env.vars == std::map<std::string, std::string>{
                        {"A", "1"},
                        {"GOOD", "1"},
                        {"NO_PROXY", "%H"},
                        {"http_proxy", "http://user:s3cr%40t@proxy:3128"},
                    });
  const std::string text = all_text(env);
  INFO(text);
  CHECK(contains(text, ":7: Environment= https_proxy has a '%' before a letter or digit"));
  CHECK(contains(text, ":9: Environment= an assignment is not a valid NAME=VALUE"));
  CHECK(contains(text, ":10: Environment= has an unbalanced quote"));
  CHECK(contains(text, "line 11: no '='"));
  CHECK(contains(text, ":12: Environment= NO_PROXY uses the systemd specifier %H"));
  CHECK(contains(text, "big.conf: cannot read: is larger than 65536 bytes"));
  CHECK_FALSE(contains(text, "s3cr"));
}

TEST_CASE("agent service env: an unreadable env file is a warning") {
  Root root;
  root.write("/etc/systemd/system/" + kClassic, kUnitBody + "EnvironmentFile=/etc/proxy.env\n");
  fs::create_directories(root.at("/etc/proxy.env"));  // a folder: cannot be read
  auto env = root.read();
  REQUIRE(env.warnings.size() == 1);
  CHECK(contains(env.warnings[0], "proxy.env (EnvironmentFile= of " + kClassic +
                                      "): cannot read: is a directory; its variables are "
                                      "unknown"));
}

}  // namespace
}  // namespace ssmreach
