#include "netcheck/http.h"
