// Owners for OpenSSL's handles: each freed by its own function when the
// owner goes, so no early return leaks one.
#pragma once

#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

namespace netcheck {

// Calls `Free` on the pointer it is given (unique_ptr's deleter).
template <auto Free>
struct FreeWith {
  template <typename T>
  void operator()(T* handle) const {
    Free(handle);
  }
};

// OPENSSL_free is a macro (it records the caller's file and line).
inline void openssl_free(void* memory) { OPENSSL_free(memory); }

using BioPtr = std::unique_ptr<BIO, FreeWith<BIO_free>>;
using X509Ptr = std::unique_ptr<X509, FreeWith<X509_free>>;
using X509StorePtr = std::unique_ptr<X509_STORE, FreeWith<X509_STORE_free>>;
using SslPtr = std::unique_ptr<SSL, FreeWith<SSL_free>>;
using SslCtxPtr = std::unique_ptr<SSL_CTX, FreeWith<SSL_CTX_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, FreeWith<GENERAL_NAMES_free>>;
using EvpKeyPtr = std::unique_ptr<EVP_PKEY, FreeWith<EVP_PKEY_free>>;
using X509ExtensionPtr = std::unique_ptr<X509_EXTENSION, FreeWith<X509_EXTENSION_free>>;
// Memory OpenSSL allocated for the caller (PEM_read_bio's name, header, data).
template <typename T>
using OpensslMemoryPtr = std::unique_ptr<T, FreeWith<openssl_free>>;

}  // namespace netcheck
