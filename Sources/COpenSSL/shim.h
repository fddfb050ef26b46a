#ifndef NERD_COPENSSL_SHIM_H
#define NERD_COPENSSL_SHIM_H

// secp256k1 signing with a caller-chosen (RFC 6979) nonce needs ECDSA_do_sign_ex, which
// OpenSSL 3.0 still ships but marks deprecated; 3.0 has no deterministic-nonce alternative.
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/err.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/obj_mac.h>

#endif
