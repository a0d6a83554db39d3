/* fuzz-api-frame.c: libFuzzer target for the native API frame decoders
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "espy-api-frame.h"
#include "fuzz-common.h"

/* The first byte picks the limit the decoders are given, as the client
 * (65535), the device (32768) or an ESP8266 (8192) would; the rest is a
 * byte stream from the network, decoded frame after frame the way the API
 * client drains its input buffer, in both framings. */
static void
drain (const guint8 *buf,
       gsize         len,
       gsize         limit,
       gboolean      noise)
{
  while (len > 0)
    {
      EspyApiFrame frame = { 0, };
      EspyApiFrameStatus status;

      status = noise ? espy_api_frame_decode_noise (buf, len, limit, &frame)
                     : espy_api_frame_decode_plaintext (buf, len, limit, &frame);
      if (status != ESPY_API_FRAME_COMPLETE)
        return;

      g_assert (frame.frame_len > 0 && frame.frame_len <= len);
      g_assert (frame.len <= limit);
      g_assert (frame.data >= buf && frame.data + frame.len <= buf + frame.frame_len);

      if (noise)
        {
          guint32 type = 0;
          const guint8 *payload = NULL;
          gsize payload_len = 0;
          g_autofree char *name = NULL;
          g_autofree char *mac = NULL;
          g_autofree char *reason = NULL;

          /* A frame body is, depending on the state, a server hello, a
           * handshake reply (possibly a rejection) or a decrypted message. */
          if (espy_api_noise_message_decode (frame.data, frame.len, &type, &payload, &payload_len))
            g_assert (payload_len <= frame.len && (payload_len == 0 || payload >= frame.data));
          /* NAME and MAC are optional: only their encoding is checked. */
          if (espy_api_noise_server_hello_parse (frame.data, frame.len, &name, &mac))
            g_assert ((name == NULL || *name != '\0') && (mac == NULL || *mac != '\0'));
          reason = espy_api_noise_reject_reason (frame.data, frame.len);
          if (reason != NULL)
            g_assert (g_utf8_validate (reason, -1, NULL));
        }
      buf += frame.frame_len;
      len -= frame.frame_len;
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static const gsize limits[] = {
    ESPY_API_CLIENT_MAX_PAYLOAD, ESPY_API_DEVICE_MAX_PAYLOAD, ESPY_API_ESP8266_MAX_PAYLOAD, 16,
  };
  gsize limit;
  guint32 value = 0;
  gsize used = 0;

  fuzz_init_logging ();
  if (size < 1)
    return 0;
  limit = limits[data[0] % G_N_ELEMENTS (limits)];
  data++;
  size--;

  if (espy_api_varint_decode (data, size, ESPY_API_VARINT_MAX_BYTES, &value, &used) == ESPY_API_FRAME_COMPLETE)
    {
      guint8 again[8];

      g_assert (used >= 1 && used <= ESPY_API_VARINT_MAX_BYTES && used <= size);
      /* Re-encoding gives the shortest form, never longer than what was read. */
      g_assert (espy_api_varint_encode (value, again) <= used);
    }

  drain (data, size, limit, FALSE);
  drain (data, size, limit, TRUE);
  return 0;
}
