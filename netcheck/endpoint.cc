#include "netcheck/endpoint.h"
