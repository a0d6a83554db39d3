/* espy-noise.h: Noise_NNpsk0_25519_ChaChaPoly_SHA256, the one pattern the
 * ESPHome native API uses, for both roles (client = initiator, device =
 * responder), and the transport CipherStates it splits into.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define ESPY_NOISE_PROTOCOL_NAME "Noise_NNpsk0_25519_ChaChaPoly_SHA256"
#define ESPY_NOISE_KEY_LEN   32
#define ESPY_NOISE_HASH_LEN  32
#define ESPY_NOISE_DH_LEN    32
#define ESPY_NOISE_TAG_LEN   16
/* Largest Noise message (handshake or transport), tag included. */
#define ESPY_NOISE_MAX_MESSAGE_LEN 65535

#define ESPY_NOISE_ERROR (espy_noise_error_quark ())

typedef enum {
  ESPY_NOISE_ERROR_DECRYPT,        /* authentication tag did not match (wrong key or damaged data) */
  ESPY_NOISE_ERROR_STATE,          /* a message out of the pattern's order */
  ESPY_NOISE_ERROR_INVALID_LENGTH, /* message too short or too long */
  ESPY_NOISE_ERROR_NONCE_EXHAUSTED,
  ESPY_NOISE_ERROR_CRYPTO,         /* OpenSSL refused an operation (e.g. a low-order public key) */
} EspyNoiseError;

GQuark espy_noise_error_quark (void);

typedef enum {
  ESPY_NOISE_ROLE_INITIATOR,
  ESPY_NOISE_ROLE_RESPONDER,
} EspyNoiseRole;

/* A transport CipherState: a key and a 64-bit nonce counter. */
typedef struct _EspyNoiseCipher EspyNoiseCipher;

/* Appends len + 16 bytes (ciphertext and tag) to OUT. */
gboolean espy_noise_cipher_encrypt   (EspyNoiseCipher  *cipher,
                                      const guint8     *ad,
                                      gsize             ad_len,
                                      const guint8     *plaintext,
                                      gsize             len,
                                      GByteArray       *out,
                                      GError          **error);
/* Appends len - 16 bytes to OUT; OUT is left as it was on failure, and the
 * nonce does not advance. */
gboolean espy_noise_cipher_decrypt   (EspyNoiseCipher  *cipher,
                                      const guint8     *ad,
                                      gsize             ad_len,
                                      const guint8     *ciphertext,
                                      gsize             len,
                                      GByteArray       *out,
                                      GError          **error);
guint64  espy_noise_cipher_get_nonce (EspyNoiseCipher  *cipher);
void     espy_noise_cipher_free      (EspyNoiseCipher  *cipher);

typedef struct _EspyNoiseHandshake EspyNoiseHandshake;

/* PSK is 32 bytes; PROLOGUE may be NULL when PROLOGUE_LEN is 0. */
EspyNoiseHandshake *espy_noise_handshake_new          (EspyNoiseRole        role,
                                                       const guint8        *psk,
                                                       const guint8        *prologue,
                                                       gsize                prologue_len);
void                espy_noise_handshake_free         (EspyNoiseHandshake  *hs);
EspyNoiseRole       espy_noise_handshake_get_role     (EspyNoiseHandshake  *hs);

/* Writes the next handshake message (-> psk, e for the initiator; <- e, ee
 * for the responder) with PAYLOAD encrypted in it, appended to OUT. */
gboolean            espy_noise_handshake_write_message (EspyNoiseHandshake *hs,
                                                        const guint8       *payload,
                                                        gsize               payload_len,
                                                        GByteArray         *out,
                                                        GError            **error);
/* Reads the peer's next handshake message; its decrypted payload is
 * appended to PAYLOAD (may be NULL). ESPY_NOISE_ERROR_DECRYPT means the
 * peers do not share the PSK (or the prologue). */
gboolean            espy_noise_handshake_read_message  (EspyNoiseHandshake *hs,
                                                        const guint8       *message,
                                                        gsize               len,
                                                        GByteArray         *payload,
                                                        GError            **error);
/* Both messages exchanged: the handshake hash is final and Split works. */
gboolean            espy_noise_handshake_is_complete   (EspyNoiseHandshake *hs);
/* The handshake hash h (32 bytes), for channel binding and tests. */
const guint8       *espy_noise_handshake_get_hash      (EspyNoiseHandshake *hs);
/* Split, taking the role into account: SEND encrypts what this side sends
 * (k1 for the initiator, k2 for the responder), RECV decrypts the peer's. */
gboolean            espy_noise_handshake_split         (EspyNoiseHandshake *hs,
                                                        EspyNoiseCipher   **send,
                                                        EspyNoiseCipher   **recv,
                                                        GError            **error);

/* Test only: use PRIVATE_KEY (32 bytes) as the ephemeral key instead of a
 * random one. Call before this side writes its message. */
void                espy_noise_handshake_set_ephemeral_for_testing (EspyNoiseHandshake *hs,
                                                                    const guint8       *private_key);

/* Test only: called after each step with the symmetric state. STEP is
 * "init" (after h = SHA256(name), ck = h), "prologue", "psk" (MixKeyAndHash),
 * "e", "re", "ee", "payload", "split-k1", "split-k2" (K is the split key). K
 * is NULL while the CipherState has no key. */
typedef void (*EspyNoiseTraceFunc) (const char   *step,
                                    const guint8 *ck,
                                    const guint8 *h,
                                    const guint8 *k,
                                    gpointer      user_data);
void                espy_noise_handshake_set_trace_func_for_testing (EspyNoiseHandshake *hs,
                                                                     EspyNoiseTraceFunc  func,
                                                                     gpointer            user_data);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EspyNoiseHandshake, espy_noise_handshake_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EspyNoiseCipher, espy_noise_cipher_free)

G_END_DECLS
