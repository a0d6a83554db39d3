/* fuzz-noise-handshake.c: libFuzzer target for the Noise handshake reply
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "espy-api-frame.h"
#include "espy-noise.h"
#include "fuzz-common.h"

/* The client sends the first handshake message and then reads the device's
 * answer: that answer (ephemeral key, encrypted payload) is attacker-
 * controlled bytes. A fixed PSK and prologue keep the target deterministic
 * apart from the client's own ephemeral key. */
int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static const guint8 psk[ESPY_NOISE_KEY_LEN] = {
    0x6a, 0x6f, 0x79, 0x20, 0x66, 0x75, 0x7a, 0x7a, 0x69, 0x6e, 0x67, 0x20, 0x70, 0x73, 0x6b, 0x21,
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10,
  };
  static const char prologue[] = "NoiseAPIInit\0\0";
  EspyNoiseHandshake *hs;
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(GByteArray) payload = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *reason = NULL;

  fuzz_init_logging ();

  /* The reply body may be a rejection with a reason instead. */
  reason = espy_api_noise_reject_reason (data, size);

  hs = espy_noise_handshake_new (ESPY_NOISE_ROLE_INITIATOR, psk, (const guint8 *) prologue, sizeof prologue - 1);
  if (!espy_noise_handshake_write_message (hs, NULL, 0, out, &error))
    g_error ("first handshake message: %s", error->message);

  /* The device's reply body starts with a status byte (0 = OK). */
  if (size >= 1 && data[0] == ESPY_API_NOISE_HANDSHAKE_OK)
    {
      if (espy_noise_handshake_read_message (hs, data + 1, size - 1, payload, &error))
        g_assert (espy_noise_handshake_is_complete (hs));
      else
        g_assert (error != NULL);
    }
  /* Feeding it again after a failure (or after success) must be refused. */
  g_clear_error (&error);
  g_byte_array_set_size (payload, 0);
  (void) espy_noise_handshake_read_message (hs, data, size, payload, &error);

  espy_noise_handshake_free (hs);
  return 0;
}
