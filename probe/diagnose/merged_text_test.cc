#include "probe/diagnose/merged_text.h"

#include <doctest/doctest.h>

using namespace ssmreach;

namespace {

const std::vector<std::string> kThree = {"ssm", "ssmmessages", "ec2messages"};

std::vector<std::string> for_each_service(const std::string& before, const std::string& after) {
  std::vector<std::string> out;
  for (const auto& s : kThree) out.push_back(before + s + after);
  return out;
}

}  // namespace

TEST_CASE("merged text: service names become a mark only where they stand alone") {
  CHECK(service_template("nslookup ssm.eu-west-1.amazonaws.com", "ssm") ==
        "nslookup \x01.eu-west-1.amazonaws.com");
  CHECK(service_template("com.amazonaws.eu-west-1.ssm", "ssm") == "com.amazonaws.eu-west-1.\x01");
  CHECK(service_template("for ssm, then ssm's", "ssm") == "for \x01, then \x01's");
  // Part of a longer name: not the service.
  CHECK(service_template("sudo systemctl restart amazon-ssm-agent", "ssm") ==
        "sudo systemctl restart amazon-ssm-agent");
  CHECK(service_template("ssmmessages", "ssm") == "ssmmessages");
  CHECK(service_template("ssm_x xssm", "ssm") == "ssm_x xssm");
  CHECK(service_template("anything", "") == "anything");
}

TEST_CASE("merged text: address literals become a mark") {
  CHECK(address_template("TCP 443 to 10.0.1.11 timed out") == "TCP 443 to \x02 timed out");
  CHECK(address_template("openssl s_client -connect 10.0.1.12:443") ==
        "openssl s_client -connect \x02:443");
  CHECK(address_template("[fd00:ec2::10]:443 and fd00:ec2::11.") == "[\x02]:443 and \x02.");
  CHECK(address_template("answers 203.0.113.10, 203.0.113.11") == "answers \x02, \x02");
  // Versions, times and ids are not addresses.
  CHECK(address_template("TLSv1.3 at 13:50:45Z, agent 3.3.40.0.1, vpc-0abc") ==
        "TLSv1.3 at 13:50:45Z, agent 3.3.40.0.1, vpc-0abc");
  CHECK(address_template("1.0 s, Fix: add:") == "1.0 s, Fix: add:");
}

TEST_CASE("merged text: prose names each member where the members differ") {
  const auto merged = merge_prose(
      {"ssm.eu-west-1.amazonaws.com resolves to 203.0.113.10, with no endpoint for ssm.",
       "ssmmessages.eu-west-1.amazonaws.com resolves to 203.0.113.11, with no endpoint for "
       "ssmmessages.",
       "ec2messages.eu-west-1.amazonaws.com resolves to 203.0.113.12, with no endpoint for "
       "ec2messages."},
      kThree);
  REQUIRE(merged);
  CHECK(*merged ==
        "{ssm,ssmmessages,ec2messages}.eu-west-1.amazonaws.com resolves to 203.0.113.{10,11,12}, "
        "with no endpoint for ssm, ssmmessages and ec2messages.");

  // Identical texts stay as they are.
  CHECK(merge_prose({"Same words.", "Same words."}, {"ssm", "kms"}) == "Same words.");
  // Texts that do not line up word for word do not merge.
  CHECK_FALSE(merge_prose({"one two", "one two three"}, {"ssm", "kms"}));
  CHECK_FALSE(merge_prose({"a"}, {"ssm", "kms"}));
}

TEST_CASE("merged text: a command that differs only by service becomes one loop") {
  const auto remedy = merge_remedy(
      {"Create it:\n$ aws ec2 create-vpc-endpoint --service-name com.amazonaws.r.ssm\n$ echo done",
       "Create it:\n$ aws ec2 create-vpc-endpoint --service-name com.amazonaws.r.ssmmessages\n"
       "$ echo done",
       "Create it:\n$ aws ec2 create-vpc-endpoint --service-name com.amazonaws.r.ec2messages\n"
       "$ echo done"},
      kThree);
  REQUIRE(remedy);
  CHECK(*remedy ==
        "Create it:\n"
        "$ for s in ssm ssmmessages ec2messages; do aws ec2 create-vpc-endpoint --service-name "
        "com.amazonaws.r.$s; done\n"
        "$ echo done");
}

TEST_CASE("merged text: the loop's variable is braced where a name character follows") {
  const auto remedy = merge_remedy(for_each_service("$ grep ", "_endpoint /etc/x"), kThree);
  // "ssm_endpoint" is one name, not the service: the commands really differ.
  REQUIRE(remedy);
  CHECK(*remedy ==
        "$ grep ssm_endpoint /etc/x\n$ grep ssmmessages_endpoint /etc/x\n"
        "$ grep ec2messages_endpoint /etc/x");
  const auto glued = merge_remedy(for_each_service("$ echo ", ".Endpoint"), kThree);
  REQUIRE(glued);
  CHECK(*glued == "$ for s in ssm ssmmessages ec2messages; do echo $s.Endpoint; done");
}

TEST_CASE("merged text: commands that really differ are given once per member") {
  const auto remedy = merge_remedy(
      {"Look:\n$ openssl s_client -connect 10.0.1.10:443 -servername ssm.r.amazonaws.com",
       "Look:\n$ openssl s_client -connect 10.0.1.11:443 -servername ssmmessages.r.amazonaws.com"},
      {"ssm", "ssmmessages"});
  REQUIRE(remedy);
  CHECK(*remedy ==
        "Look:\n"
        "$ openssl s_client -connect 10.0.1.10:443 -servername ssm.r.amazonaws.com\n"
        "$ openssl s_client -connect 10.0.1.11:443 -servername ssmmessages.r.amazonaws.com");
}

TEST_CASE("merged text: no loop where the shell would not expand the variable") {
  // Inside single quotes $s stays "$s".
  const auto quoted = merge_remedy(
      {"$ aws x --query 'Names[?@==`ssm`]'", "$ aws x --query 'Names[?@==`kms`]'"}, {"ssm", "kms"});
  REQUIRE(quoted);
  CHECK(*quoted == "$ aws x --query 'Names[?@==`ssm`]'\n$ aws x --query 'Names[?@==`kms`]'");
  // A command that already uses $s keeps its own.
  const auto taken = merge_remedy({"$ echo $s ssm", "$ echo $s kms"}, {"ssm", "kms"});
  REQUIRE(taken);
  CHECK(*taken == "$ echo $s ssm\n$ echo $s kms");
  // Double quotes expand it.
  const auto double_quoted = merge_remedy({"$ echo \"ssm\"", "$ echo \"kms\""}, {"ssm", "kms"});
  REQUIRE(double_quoted);
  CHECK(*double_quoted == "$ for s in ssm kms; do echo \"$s\"; done");
}

TEST_CASE("merged text: remedies that do not line up do not merge") {
  CHECK_FALSE(merge_remedy({"a\nb", "a"}, {"ssm", "kms"}));
  CHECK_FALSE(merge_remedy({"$ a", "a"}, {"ssm", "kms"}));
  CHECK_FALSE(merge_remedy({}, {}));
}

TEST_CASE("merged text: a headline may call the services' host names each endpoint name") {
  const auto headlines = for_each_service("DNS: no answer for ", ".eu-west-1.amazonaws.com.");
  CHECK(merge_prose(headlines, kThree, HostNames::each) ==
        "DNS: no answer for each endpoint name.");
  CHECK(merge_prose(headlines, kThree) ==
        "DNS: no answer for {ssm,ssmmessages,ec2messages}.eu-west-1.amazonaws.com.");
  // With a port or more after it, the name stays listed.
  const auto connect = for_each_service("CONNECT ", ".eu-west-1.amazonaws.com:443 refused");
  CHECK(merge_prose(connect, kThree, HostNames::each) ==
        "CONNECT {ssm,ssmmessages,ec2messages}.eu-west-1.amazonaws.com:443 refused");
}

TEST_CASE("merged text: texts the same up to names and addresses") {
  CHECK(same_up_to_names("nslookup ssm.r.amazonaws.com 10.0.0.2", "ssm",
                         "nslookup kms.r.amazonaws.com 10.0.0.2", "kms"));
  CHECK(same_up_to_names("to 10.0.1.10 for ssm", "ssm", "to 10.0.1.11 for kms", "kms"));
  CHECK(same_up_to_names("see /etc/amazon/ssm/x\n$ a", "ssm", "see /etc/amazon/ssm/x\n$ a", "kms"));
  CHECK(same_up_to_names("for ssm", "ssm", "for ssm", "kms"));
  CHECK_FALSE(same_up_to_names("for ssm", "ssm", "for s3", "kms"));
  CHECK_FALSE(same_up_to_names("a\nb", "ssm", "a", "kms"));
  CHECK_FALSE(same_up_to_names("a b", "ssm", "a b c", "kms"));
  CHECK_FALSE(same_up_to_names("port 443", "ssm", "port 8443", "kms"));
}
