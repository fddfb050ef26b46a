#ifndef NERD_CSECP256K1_SHIM_H
#define NERD_CSECP256K1_SHIM_H

#include <secp256k1.h>

#endif
