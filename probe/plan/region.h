// Regions, partitions and the endpoint names they imply.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "probe/evidence/evidence.h"
#include "probe/util/environment.h"

namespace ssmreach {

// "us-east-1", "us-gov-west-1", "cn-north-1", "us-isob-east-1", ...
bool is_valid_region_name(std::string_view region);

// DNS suffix of the region's partition: amazonaws.com, amazonaws.com.cn
// (cn-*), amazonaws.eu (eusc-*, the European Sovereign Cloud), c2s.ic.gov
// (us-iso-*), sc2s.sgov.gov (us-isob-*), cloud.adc-e.uk (eu-isoe-*),
// csp.hci.ic.gov (us-isof-*). The dual-stack suffixes: endpoint_names.h.
std::string partition_suffix(std::string_view region);

// "ssm.us-east-1.amazonaws.com".
std::string service_host(std::string_view service, std::string_view region);

// The region from --region, then AWS_REGION, then AWS_DEFAULT_REGION; empty
// when none is set (IMDS is asked next, by the caller). Environment values
// that are not region names are ignored, with `warning` saying so.
Sourced region_from_flag_or_env(const std::optional<std::string>& flag, const GetEnv& env,
                                std::string* warning);

}  // namespace ssmreach
