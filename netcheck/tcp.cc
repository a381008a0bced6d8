#include "netcheck/tcp.h"
