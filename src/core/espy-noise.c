/* espy-noise.c: Noise_NNpsk0_25519_ChaChaPoly_SHA256 on OpenSSL 3 EVP.
 *
 * Follows the Noise spec (revision 34) sections 5.1-5.3 literally: the
 * SymmetricState (ck, h, CipherState k/n) and the two message patterns
 *   -> psk, e
 *   <- e, ee
 * where with a PSK each "e" token also does MixKey(e.pub).
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "espy-noise.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

G_DEFINE_QUARK (espy-noise-error-quark, espy_noise_error)

struct _EspyNoiseCipher
{
  guint8 k[ESPY_NOISE_KEY_LEN];
  gboolean has_key;
  guint64 n;
};

typedef enum {
  HS_NEW,          /* nothing mixed yet (lazy, so tests can hook first) */
  HS_MESSAGE1,     /* -> psk, e */
  HS_MESSAGE2,     /* <- e, ee */
  HS_COMPLETE,
  HS_SPLIT,        /* transport keys handed out; handshake secrets wiped */
  HS_FAILED,
} HsState;

struct _EspyNoiseHandshake
{
  EspyNoiseRole role;
  HsState state;

  guint8 psk[ESPY_NOISE_KEY_LEN];
  guint8 *prologue;
  gsize prologue_len;

  guint8 ck[ESPY_NOISE_HASH_LEN];
  guint8 h[ESPY_NOISE_HASH_LEN];
  EspyNoiseCipher cs;

  guint8 e_priv[ESPY_NOISE_DH_LEN];
  guint8 e_pub[ESPY_NOISE_DH_LEN];
  gboolean have_e;
  guint8 re[ESPY_NOISE_DH_LEN];

  EspyNoiseTraceFunc trace;
  gpointer trace_data;
};

/* ---- primitives ------------------------------------------------------ */

static gboolean
crypto_error (GError **error,
              const char *what)
{
  g_set_error (error, ESPY_NOISE_ERROR, ESPY_NOISE_ERROR_CRYPTO, _("Noise: %s failed"), what);
  return FALSE;
}

static void
nonce_bytes (guint64 n,
             guint8  out[12])
{
  /* ChaChaPoly nonce: 4 zero bytes then the counter, little-endian. */
  guint64 le = GUINT64_TO_LE (n);

  memset (out, 0, 4);
  memcpy (out + 4, &le, 8);
}

static gboolean
aead_encrypt (const guint8  *key,
              guint64        n,
              const guint8  *ad,
              gsize          ad_len,
              const guint8  *in,
              gsize          len,
              guint8        *out,   /* len + 16 */
              GError       **error)
{
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new ();
  guint8 iv[12];
  int outl = 0;
  gboolean ok = FALSE;

  nonce_bytes (n, iv);
  if (ctx == NULL
      || EVP_EncryptInit_ex (ctx, EVP_chacha20_poly1305 (), NULL, key, iv) != 1
      || (ad_len > 0 && EVP_EncryptUpdate (ctx, NULL, &outl, ad, (int) ad_len) != 1)
      || (len > 0 && EVP_EncryptUpdate (ctx, out, &outl, in, (int) len) != 1)
      || EVP_EncryptFinal_ex (ctx, out + len, &outl) != 1
      || EVP_CIPHER_CTX_ctrl (ctx, EVP_CTRL_AEAD_GET_TAG, ESPY_NOISE_TAG_LEN, out + len) != 1)
    crypto_error (error, _("encryption"));
  else
    ok = TRUE;
  EVP_CIPHER_CTX_free (ctx);
  return ok;
}

static gboolean
aead_decrypt (const guint8  *key,
              guint64        n,
              const guint8  *ad,
              gsize          ad_len,
              const guint8  *in,
              gsize          len,      /* includes the tag */
              guint8        *out,      /* len - 16 */
              GError       **error)
{
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new ();
  guint8 iv[12];
  gsize plain_len = len - ESPY_NOISE_TAG_LEN;
  int outl = 0;
  gboolean ok = FALSE;

  nonce_bytes (n, iv);
  if (ctx == NULL
      || EVP_DecryptInit_ex (ctx, EVP_chacha20_poly1305 (), NULL, key, iv) != 1
      || (ad_len > 0 && EVP_DecryptUpdate (ctx, NULL, &outl, ad, (int) ad_len) != 1)
      || (plain_len > 0 && EVP_DecryptUpdate (ctx, out, &outl, in, (int) plain_len) != 1)
      || EVP_CIPHER_CTX_ctrl (ctx, EVP_CTRL_AEAD_SET_TAG, ESPY_NOISE_TAG_LEN,
                              (void *) (in + plain_len)) != 1)
    crypto_error (error, _("decryption"));
  else if (EVP_DecryptFinal_ex (ctx, out + plain_len, &outl) != 1)
    {
      /* Never hand out unauthenticated plaintext. */
      OPENSSL_cleanse (out, plain_len);
      g_set_error_literal (error, ESPY_NOISE_ERROR, ESPY_NOISE_ERROR_DECRYPT,
                           _("Noise: message authentication failed"));
    }
  else
    ok = TRUE;
  EVP_CIPHER_CTX_free (ctx);
  return ok;
}

static void
sha256 (const guint8 *a,
        gsize         a_len,
        const guint8 *b,
        gsize         b_len,
        guint8        out[ESPY_NOISE_HASH_LEN])
{
  EVP_MD_CTX *ctx = EVP_MD_CTX_new ();
  unsigned int outl = 0;

  /* Only allocation failure can make SHA256 fail: treat it like g_malloc. */
  if (ctx == NULL
      || EVP_DigestInit_ex (ctx, EVP_sha256 (), NULL) != 1
      || EVP_DigestUpdate (ctx, a, a_len) != 1
      || (b_len > 0 && EVP_DigestUpdate (ctx, b, b_len) != 1)
      || EVP_DigestFinal_ex (ctx, out, &outl) != 1)
    g_error ("SHA256 failed");
  EVP_MD_CTX_free (ctx);
}

static void
hmac_sha256 (const guint8 *key,
             const guint8 *a,
             gsize         a_len,
             const guint8 *b,
             gsize         b_len,
             guint8        out[ESPY_NOISE_HASH_LEN])
{
  guint8 buf[ESPY_NOISE_HASH_LEN + 1];
  const guint8 *data = a;
  gsize data_len = a_len;
  unsigned int outl = 0;

  /* The HKDF expand steps hash output || byte: join them on the stack. */
  if (b_len > 0)
    {
      g_assert (a_len + b_len <= sizeof buf);
      memcpy (buf, a, a_len);
      memcpy (buf + a_len, b, b_len);
      data = buf;
      data_len = a_len + b_len;
    }
  if (HMAC (EVP_sha256 (), key, ESPY_NOISE_HASH_LEN, data, data_len, out, &outl) == NULL)
    g_error ("HMAC-SHA256 failed");
  OPENSSL_cleanse (buf, sizeof buf);
}

/* Noise HKDF(ck, ikm) with 2 or 3 outputs (out3 may be NULL). */
static void
hkdf (const guint8 *ck,
      const guint8 *ikm,
      gsize         ikm_len,
      guint8       *out1,
      guint8       *out2,
      guint8       *out3)
{
  guint8 temp_key[ESPY_NOISE_HASH_LEN];
  guint8 o1[ESPY_NOISE_HASH_LEN];
  guint8 o2[ESPY_NOISE_HASH_LEN];
  const guint8 one = 0x01, two = 0x02, three = 0x03;

  hmac_sha256 (ck, ikm, ikm_len, NULL, 0, temp_key);
  hmac_sha256 (temp_key, &one, 1, NULL, 0, o1);
  hmac_sha256 (temp_key, o1, sizeof o1, &two, 1, o2);
  if (out3 != NULL)
    hmac_sha256 (temp_key, o2, sizeof o2, &three, 1, out3);
  memcpy (out1, o1, sizeof o1);
  memcpy (out2, o2, sizeof o2);
  OPENSSL_cleanse (temp_key, sizeof temp_key);
  OPENSSL_cleanse (o1, sizeof o1);
  OPENSSL_cleanse (o2, sizeof o2);
}

static gboolean
x25519_public (const guint8  *priv,
               guint8        *pub,
               GError       **error)
{
  EVP_PKEY *key = EVP_PKEY_new_raw_private_key (EVP_PKEY_X25519, NULL, priv, ESPY_NOISE_DH_LEN);
  size_t len = ESPY_NOISE_DH_LEN;
  gboolean ok;

  ok = key != NULL && EVP_PKEY_get_raw_public_key (key, pub, &len) == 1 && len == ESPY_NOISE_DH_LEN;
  EVP_PKEY_free (key);
  return ok ? TRUE : crypto_error (error, _("X25519 key generation"));
}

static gboolean
x25519_dh (const guint8  *priv,
           const guint8  *peer_pub,
           guint8        *out,
           GError       **error)
{
  EVP_PKEY *key = EVP_PKEY_new_raw_private_key (EVP_PKEY_X25519, NULL, priv, ESPY_NOISE_DH_LEN);
  EVP_PKEY *peer = EVP_PKEY_new_raw_public_key (EVP_PKEY_X25519, NULL, peer_pub, ESPY_NOISE_DH_LEN);
  EVP_PKEY_CTX *ctx = key != NULL ? EVP_PKEY_CTX_new (key, NULL) : NULL;
  size_t len = ESPY_NOISE_DH_LEN;
  gboolean ok;

  /* OpenSSL refuses peers whose shared secret would be all zeros. */
  ok = peer != NULL && ctx != NULL
       && EVP_PKEY_derive_init (ctx) == 1
       && EVP_PKEY_derive_set_peer (ctx, peer) == 1
       && EVP_PKEY_derive (ctx, out, &len) == 1
       && len == ESPY_NOISE_DH_LEN;
  EVP_PKEY_CTX_free (ctx);
  EVP_PKEY_free (peer);
  EVP_PKEY_free (key);
  return ok ? TRUE : crypto_error (error, _("X25519 key agreement"));
}

/* ---- CipherState ----------------------------------------------------- */

static gboolean
cipher_check_nonce (EspyNoiseCipher  *cipher,
                    GError          **error)
{
  /* 2^64-1 is reserved by the spec. */
  if (cipher->n == G_MAXUINT64)
    {
      g_set_error_literal (error, ESPY_NOISE_ERROR, ESPY_NOISE_ERROR_NONCE_EXHAUSTED,
                           _("Noise: nonce exhausted"));
      return FALSE;
    }
  return TRUE;
}

/* EncryptWithAd: without a key the plaintext passes through. */
static gboolean
cipher_encrypt (EspyNoiseCipher  *cipher,
                const guint8     *ad,
                gsize             ad_len,
                const guint8     *in,
                gsize             len,
                GByteArray       *out,
                GError          **error)
{
  guint old_len = out->len;

  if (!cipher->has_key)
    {
      g_byte_array_append (out, in, (guint) len);
      return TRUE;
    }
  if (!cipher_check_nonce (cipher, error))
    return FALSE;
  if (len + ESPY_NOISE_TAG_LEN > ESPY_NOISE_MAX_MESSAGE_LEN)
    {
      g_set_error_literal (error, ESPY_NOISE_ERROR, ESPY_NOISE_ERROR_INVALID_LENGTH,
                           _("Noise: message too long"));
      return FALSE;
    }
  g_byte_array_set_size (out, old_len + (guint) len + ESPY_NOISE_TAG_LEN);
  if (!aead_encrypt (cipher->k, cipher->n, ad, ad_len, in, len, out->data + old_len, error))
    {
      g_byte_array_set_size (out, old_len);
      return FALSE;
    }
  cipher->n++;
  return TRUE;
}

static gboolean
cipher_decrypt (EspyNoiseCipher  *cipher,
                const guint8     *ad,
                gsize             ad_len,
                const guint8     *in,
                gsize             len,
                GByteArray       *out,
                GError          **error)
{
  g_autoptr(GByteArray) scratch = NULL;
  GByteArray *target = out;
  guint8 dummy[1];
  guint old_len;

  /* Decrypted handshake payloads may be thrown away: OUT may be NULL. */
  if (target == NULL)
    target = scratch = g_byte_array_new ();
  old_len = target->len;

  if (!cipher->has_key)
    {
      g_byte_array_append (target, in, (guint) len);
      return TRUE;
    }
  if (!cipher_check_nonce (cipher, error))
    return FALSE;
  if (len < ESPY_NOISE_TAG_LEN || len > ESPY_NOISE_MAX_MESSAGE_LEN)
    {
      g_set_error_literal (error, ESPY_NOISE_ERROR, ESPY_NOISE_ERROR_INVALID_LENGTH,
                           _("Noise: message has an impossible length"));
      return FALSE;
    }
  g_byte_array_set_size (target, old_len + (guint) (len - ESPY_NOISE_TAG_LEN));
  /* An empty array has no data pointer; the AEAD still wants somewhere to write nothing. */
  if (!aead_decrypt (cipher->k, cipher->n, ad, ad_len, in, len,
                     target->data != NULL ? target->data + old_len : dummy, error))
    {
      g_byte_array_set_size (target, old_len);
      return FALSE;
    }
  cipher->n++;
  return TRUE;
}

gboolean
espy_noise_cipher_encrypt (EspyNoiseCipher  *cipher,
                           const guint8     *ad,
                           gsize             ad_len,
                           const guint8     *plaintext,
                           gsize             len,
                           GByteArray       *out,
                           GError          **error)
{
  g_return_val_if_fail (cipher != NULL && cipher->has_key, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  return cipher_encrypt (cipher, ad, ad_len, plaintext, len, out, error);
}

gboolean
espy_noise_cipher_decrypt (EspyNoiseCipher  *cipher,
                           const guint8     *ad,
                           gsize             ad_len,
                           const guint8     *ciphertext,
                           gsize             len,
                           GByteArray       *out,
                           GError          **error)
{
  g_return_val_if_fail (cipher != NULL && cipher->has_key, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  return cipher_decrypt (cipher, ad, ad_len, ciphertext, len, out, error);
}

guint64
espy_noise_cipher_get_nonce (EspyNoiseCipher *cipher)
{
  g_return_val_if_fail (cipher != NULL, 0);

  return cipher->n;
}

void
espy_noise_cipher_free (EspyNoiseCipher *cipher)
{
  if (cipher == NULL)
    return;
  OPENSSL_cleanse (cipher, sizeof *cipher);
  g_free (cipher);
}

/* ---- SymmetricState -------------------------------------------------- */

static void
trace (EspyNoiseHandshake *hs,
       const char         *step)
{
  if (hs->trace != NULL)
    hs->trace (step, hs->ck, hs->h, hs->cs.has_key ? hs->cs.k : NULL, hs->trace_data);
}

static void
mix_hash (EspyNoiseHandshake *hs,
          const guint8       *data,
          gsize               len)
{
  sha256 (hs->h, sizeof hs->h, data, len, hs->h);
}

static void
mix_key (EspyNoiseHandshake *hs,
         const guint8       *ikm,
         gsize               len)
{
  hkdf (hs->ck, ikm, len, hs->ck, hs->cs.k, NULL);
  hs->cs.has_key = TRUE;
  hs->cs.n = 0;
}

static void
mix_key_and_hash (EspyNoiseHandshake *hs,
                  const guint8       *ikm,
                  gsize               len)
{
  guint8 temp_h[ESPY_NOISE_HASH_LEN];

  hkdf (hs->ck, ikm, len, hs->ck, temp_h, hs->cs.k);
  mix_hash (hs, temp_h, sizeof temp_h);
  hs->cs.has_key = TRUE;
  hs->cs.n = 0;
  OPENSSL_cleanse (temp_h, sizeof temp_h);
}

static gboolean
encrypt_and_hash (EspyNoiseHandshake  *hs,
                  const guint8        *in,
                  gsize                len,
                  GByteArray          *out,
                  GError             **error)
{
  guint old_len = out->len;

  if (!cipher_encrypt (&hs->cs, hs->h, sizeof hs->h, in, len, out, error))
    return FALSE;
  mix_hash (hs, out->data + old_len, out->len - old_len);
  return TRUE;
}

static gboolean
decrypt_and_hash (EspyNoiseHandshake  *hs,
                  const guint8        *in,
                  gsize                len,
                  GByteArray          *out,
                  GError             **error)
{
  if (!cipher_decrypt (&hs->cs, hs->h, sizeof hs->h, in, len, out, error))
    return FALSE;
  mix_hash (hs, in, len);
  return TRUE;
}

/* ---- HandshakeState -------------------------------------------------- */

EspyNoiseHandshake *
espy_noise_handshake_new (EspyNoiseRole  role,
                          const guint8  *psk,
                          const guint8  *prologue,
                          gsize          prologue_len)
{
  EspyNoiseHandshake *hs;

  g_return_val_if_fail (psk != NULL, NULL);
  g_return_val_if_fail (prologue != NULL || prologue_len == 0, NULL);

  hs = g_new0 (EspyNoiseHandshake, 1);
  hs->role = role;
  hs->state = HS_NEW;
  memcpy (hs->psk, psk, sizeof hs->psk);
  hs->prologue = g_memdup2 (prologue, prologue_len);
  hs->prologue_len = prologue_len;
  return hs;
}

void
espy_noise_handshake_free (EspyNoiseHandshake *hs)
{
  if (hs == NULL)
    return;
  g_free (hs->prologue);
  OPENSSL_cleanse (hs, sizeof *hs);
  g_free (hs);
}

EspyNoiseRole
espy_noise_handshake_get_role (EspyNoiseHandshake *hs)
{
  g_return_val_if_fail (hs != NULL, ESPY_NOISE_ROLE_INITIATOR);

  return hs->role;
}

void
espy_noise_handshake_set_ephemeral_for_testing (EspyNoiseHandshake *hs,
                                                const guint8       *private_key)
{
  g_return_if_fail (hs != NULL && private_key != NULL);
  g_return_if_fail (!hs->have_e);

  memcpy (hs->e_priv, private_key, sizeof hs->e_priv);
  if (!x25519_public (hs->e_priv, hs->e_pub, NULL))
    g_error ("X25519 public key derivation failed");
  hs->have_e = TRUE;
}

void
espy_noise_handshake_set_trace_func_for_testing (EspyNoiseHandshake *hs,
                                                 EspyNoiseTraceFunc  func,
                                                 gpointer            user_data)
{
  g_return_if_fail (hs != NULL);

  hs->trace = func;
  hs->trace_data = user_data;
}

/* Initialize(): done on first use so the test hooks above can come first. */
static void
start (EspyNoiseHandshake *hs)
{
  const char *name = ESPY_NOISE_PROTOCOL_NAME;

  /* The name is longer than HASHLEN, so h = HASH(name). */
  G_STATIC_ASSERT (sizeof ESPY_NOISE_PROTOCOL_NAME - 1 > ESPY_NOISE_HASH_LEN);

  if (hs->state != HS_NEW)
    return;
  sha256 ((const guint8 *) name, strlen (name), NULL, 0, hs->h);
  memcpy (hs->ck, hs->h, sizeof hs->ck);
  hs->cs.has_key = FALSE;
  trace (hs, "init");
  mix_hash (hs, hs->prologue, hs->prologue_len);
  trace (hs, "prologue");
  hs->state = HS_MESSAGE1;
}

static gboolean
ensure_ephemeral (EspyNoiseHandshake  *hs,
                  GError             **error)
{
  if (hs->have_e)
    return TRUE;
  if (RAND_priv_bytes (hs->e_priv, sizeof hs->e_priv) != 1)
    return crypto_error (error, _("random number generation"));
  if (!x25519_public (hs->e_priv, hs->e_pub, error))
    return FALSE;
  hs->have_e = TRUE;
  return TRUE;
}

static gboolean
state_error (GError **error)
{
  g_set_error_literal (error, ESPY_NOISE_ERROR, ESPY_NOISE_ERROR_STATE,
                       _("Noise: handshake message out of order"));
  return FALSE;
}

/* Whether this side writes the message the handshake is at. */
static gboolean
my_turn (EspyNoiseHandshake *hs)
{
  return (hs->state == HS_MESSAGE1 && hs->role == ESPY_NOISE_ROLE_INITIATOR)
         || (hs->state == HS_MESSAGE2 && hs->role == ESPY_NOISE_ROLE_RESPONDER);
}

gboolean
espy_noise_handshake_write_message (EspyNoiseHandshake  *hs,
                                    const guint8        *payload,
                                    gsize                payload_len,
                                    GByteArray          *out,
                                    GError             **error)
{
  guint old_len;
  guint8 dh[ESPY_NOISE_DH_LEN];
  gboolean ok;

  g_return_val_if_fail (hs != NULL && out != NULL, FALSE);
  g_return_val_if_fail (payload != NULL || payload_len == 0, FALSE);

  start (hs);
  if (!my_turn (hs))
    return state_error (error);
  if (!ensure_ephemeral (hs, error))
    return FALSE;

  old_len = out->len;
  if (hs->state == HS_MESSAGE1)
    {
      mix_key_and_hash (hs, hs->psk, sizeof hs->psk);
      trace (hs, "psk");
    }

  /* e: send the public key in clear; with a PSK it also keys the cipher. */
  g_byte_array_append (out, hs->e_pub, sizeof hs->e_pub);
  mix_hash (hs, hs->e_pub, sizeof hs->e_pub);
  mix_key (hs, hs->e_pub, sizeof hs->e_pub);
  trace (hs, "e");

  if (hs->state == HS_MESSAGE2)
    {
      if (!x25519_dh (hs->e_priv, hs->re, dh, error))
        {
          hs->state = HS_FAILED;
          g_byte_array_set_size (out, old_len);
          return FALSE;
        }
      mix_key (hs, dh, sizeof dh);
      OPENSSL_cleanse (dh, sizeof dh);
      trace (hs, "ee");
    }

  ok = encrypt_and_hash (hs, payload, payload_len, out, error);
  if (!ok)
    {
      hs->state = HS_FAILED;
      g_byte_array_set_size (out, old_len);
      return FALSE;
    }
  trace (hs, "payload");
  hs->state = hs->state == HS_MESSAGE1 ? HS_MESSAGE2 : HS_COMPLETE;
  return TRUE;
}

gboolean
espy_noise_handshake_read_message (EspyNoiseHandshake  *hs,
                                   const guint8        *message,
                                   gsize                len,
                                   GByteArray          *payload,
                                   GError             **error)
{
  guint8 dh[ESPY_NOISE_DH_LEN];

  g_return_val_if_fail (hs != NULL, FALSE);
  g_return_val_if_fail (message != NULL || len == 0, FALSE);

  start (hs);
  if (hs->state != HS_MESSAGE1 && hs->state != HS_MESSAGE2)
    return state_error (error);
  if (my_turn (hs))
    return state_error (error);
  /* Both messages carry e and at least a tag, as the cipher is keyed by then. */
  if (len < ESPY_NOISE_DH_LEN + ESPY_NOISE_TAG_LEN || len > ESPY_NOISE_MAX_MESSAGE_LEN)
    {
      hs->state = HS_FAILED;
      g_set_error_literal (error, ESPY_NOISE_ERROR, ESPY_NOISE_ERROR_INVALID_LENGTH,
                           _("Noise: handshake message has an impossible length"));
      return FALSE;
    }

  if (hs->state == HS_MESSAGE1)
    {
      mix_key_and_hash (hs, hs->psk, sizeof hs->psk);
      trace (hs, "psk");
    }

  memcpy (hs->re, message, sizeof hs->re);
  mix_hash (hs, hs->re, sizeof hs->re);
  mix_key (hs, hs->re, sizeof hs->re);
  trace (hs, "re");

  if (hs->state == HS_MESSAGE2)
    {
      if (!ensure_ephemeral (hs, error) || !x25519_dh (hs->e_priv, hs->re, dh, error))
        {
          hs->state = HS_FAILED;
          return FALSE;
        }
      mix_key (hs, dh, sizeof dh);
      OPENSSL_cleanse (dh, sizeof dh);
      trace (hs, "ee");
    }

  if (!decrypt_and_hash (hs, message + ESPY_NOISE_DH_LEN, len - ESPY_NOISE_DH_LEN, payload, error))
    {
      hs->state = HS_FAILED;
      return FALSE;
    }
  trace (hs, "payload");
  hs->state = hs->state == HS_MESSAGE1 ? HS_MESSAGE2 : HS_COMPLETE;
  return TRUE;
}

gboolean
espy_noise_handshake_is_complete (EspyNoiseHandshake *hs)
{
  g_return_val_if_fail (hs != NULL, FALSE);

  return hs->state == HS_COMPLETE || hs->state == HS_SPLIT;
}

const guint8 *
espy_noise_handshake_get_hash (EspyNoiseHandshake *hs)
{
  g_return_val_if_fail (hs != NULL, NULL);

  start (hs);
  return hs->h;
}

gboolean
espy_noise_handshake_split (EspyNoiseHandshake  *hs,
                            EspyNoiseCipher    **send,
                            EspyNoiseCipher    **recv,
                            GError             **error)
{
  EspyNoiseCipher *c1, *c2;

  g_return_val_if_fail (hs != NULL && send != NULL && recv != NULL, FALSE);

  if (hs->state != HS_COMPLETE)
    return state_error (error);

  c1 = g_new0 (EspyNoiseCipher, 1);
  c2 = g_new0 (EspyNoiseCipher, 1);
  hkdf (hs->ck, (const guint8 *) "", 0, c1->k, c2->k, NULL);
  c1->has_key = c2->has_key = TRUE;

  if (hs->trace != NULL)
    {
      hs->trace ("split-k1", hs->ck, hs->h, c1->k, hs->trace_data);
      hs->trace ("split-k2", hs->ck, hs->h, c2->k, hs->trace_data);
    }

  if (hs->role == ESPY_NOISE_ROLE_INITIATOR)
    {
      *send = c1;
      *recv = c2;
    }
  else
    {
      *send = c2;
      *recv = c1;
    }
  /* The handshake secrets are no longer needed; h stays for get_hash(). */
  OPENSSL_cleanse (hs->ck, sizeof hs->ck);
  OPENSSL_cleanse (&hs->cs, sizeof hs->cs);
  OPENSSL_cleanse (hs->e_priv, sizeof hs->e_priv);
  OPENSSL_cleanse (hs->psk, sizeof hs->psk);
  hs->state = HS_SPLIT;
  return TRUE;
}
