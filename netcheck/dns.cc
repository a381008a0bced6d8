#include "netcheck/dns.h"
