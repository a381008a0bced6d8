#include "netcheck/tls.h"
