#include "netcheck/trust_store.h"
