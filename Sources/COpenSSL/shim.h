#ifndef NERD_COPENSSL_SHIM_H
#define NERD_COPENSSL_SHIM_H

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/err.h>
#include <openssl/bn.h>

#endif
