/* espy-api-frame.c
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "espy-api-frame.h"

#include <string.h>

#define NOISE_PROLOGUE_PREFIX "NoiseAPIInit"

gsize
espy_api_varint_encode (guint32  value,
                        guint8  *out)
{
  gsize n = 0;

  g_return_val_if_fail (out != NULL, 0);

  while (value >= 0x80)
    {
      out[n++] = (guint8) (value | 0x80);
      value >>= 7;
    }
  out[n++] = (guint8) value;
  return n;
}

EspyApiFrameStatus
espy_api_varint_decode (const guint8 *buf,
                        gsize         len,
                        guint         max_bytes,
                        guint32      *value,
                        gsize        *used)
{
  guint32 result = 0;

  g_return_val_if_fail (buf != NULL || len == 0, ESPY_API_FRAME_MALFORMED);
  g_return_val_if_fail (max_bytes >= 1 && max_bytes <= 5, ESPY_API_FRAME_MALFORMED);

  for (gsize i = 0; i < max_bytes; i++)
    {
      if (i >= len)
        return ESPY_API_FRAME_INCOMPLETE;
      result |= (guint32) (buf[i] & 0x7F) << (7 * i);
      if ((buf[i] & 0x80) == 0)
        {
          if (value != NULL)
            *value = result;
          if (used != NULL)
            *used = i + 1;
          return ESPY_API_FRAME_COMPLETE;
        }
    }
  return ESPY_API_FRAME_MALFORMED;
}

void
espy_api_frame_encode_plaintext (GByteArray   *out,
                                 guint32       type,
                                 const guint8 *payload,
                                 gsize         len)
{
  guint8 header[1 + 2 * 5];
  gsize n = 0;

  g_return_if_fail (out != NULL);
  g_return_if_fail (payload != NULL || len == 0);
  g_return_if_fail (len <= G_MAXUINT32);

  header[n++] = ESPY_API_INDICATOR_PLAINTEXT;
  n += espy_api_varint_encode ((guint32) len, header + n);
  n += espy_api_varint_encode (type, header + n);
  g_byte_array_append (out, header, (guint) n);
  if (len > 0)
    g_byte_array_append (out, payload, (guint) len);
}

EspyApiFrameStatus
espy_api_frame_decode_plaintext (const guint8 *buf,
                                 gsize         len,
                                 gsize         max_payload,
                                 EspyApiFrame *frame)
{
  EspyApiFrameStatus status;
  guint32 payload_len = 0, type = 0;
  gsize pos = 1, used = 0;

  g_return_val_if_fail (buf != NULL || len == 0, ESPY_API_FRAME_MALFORMED);

  if (len == 0)
    return ESPY_API_FRAME_INCOMPLETE;
  if (buf[0] != ESPY_API_INDICATOR_PLAINTEXT)
    return ESPY_API_FRAME_BAD_INDICATOR;

  status = espy_api_varint_decode (buf + pos, len - pos, ESPY_API_VARINT_MAX_BYTES, &payload_len, &used);
  if (status != ESPY_API_FRAME_COMPLETE)
    return status;
  /* Refuse before buffering it: a bogus length must not make us wait for 256 MB. */
  if (payload_len > max_payload)
    return ESPY_API_FRAME_TOO_LARGE;
  pos += used;

  status = espy_api_varint_decode (buf + pos, len - pos, ESPY_API_VARINT_MAX_BYTES, &type, &used);
  if (status != ESPY_API_FRAME_COMPLETE)
    return status;
  pos += used;

  if (len - pos < payload_len)
    return ESPY_API_FRAME_INCOMPLETE;

  if (frame != NULL)
    {
      frame->type = type;
      frame->data = buf + pos;
      frame->len = payload_len;
      frame->frame_len = pos + payload_len;
    }
  return ESPY_API_FRAME_COMPLETE;
}

gboolean
espy_api_frame_encode_noise (GByteArray   *out,
                             const guint8 *body,
                             gsize         len)
{
  guint8 header[ESPY_API_NOISE_HEADER_LEN];

  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (body != NULL || len == 0, FALSE);

  if (len > ESPY_API_NOISE_MAX_BODY)
    return FALSE;
  header[0] = ESPY_API_INDICATOR_NOISE;
  header[1] = (guint8) (len >> 8);
  header[2] = (guint8) len;
  g_byte_array_append (out, header, sizeof header);
  if (len > 0)
    g_byte_array_append (out, body, (guint) len);
  return TRUE;
}

EspyApiFrameStatus
espy_api_frame_decode_noise (const guint8 *buf,
                             gsize         len,
                             gsize         max_body,
                             EspyApiFrame *frame)
{
  gsize body_len;

  g_return_val_if_fail (buf != NULL || len == 0, ESPY_API_FRAME_MALFORMED);

  if (len == 0)
    return ESPY_API_FRAME_INCOMPLETE;
  if (buf[0] != ESPY_API_INDICATOR_NOISE)
    return ESPY_API_FRAME_BAD_INDICATOR;
  if (len < ESPY_API_NOISE_HEADER_LEN)
    return ESPY_API_FRAME_INCOMPLETE;
  body_len = ((gsize) buf[1] << 8) | buf[2];
  if (body_len > max_body)
    return ESPY_API_FRAME_TOO_LARGE;
  if (len - ESPY_API_NOISE_HEADER_LEN < body_len)
    return ESPY_API_FRAME_INCOMPLETE;

  if (frame != NULL)
    {
      frame->type = 0;
      frame->data = buf + ESPY_API_NOISE_HEADER_LEN;
      frame->len = body_len;
      frame->frame_len = ESPY_API_NOISE_HEADER_LEN + body_len;
    }
  return ESPY_API_FRAME_COMPLETE;
}

gboolean
espy_api_noise_message_encode (GByteArray   *out,
                               guint32       type,
                               const guint8 *payload,
                               gsize         len)
{
  guint8 header[4];

  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (payload != NULL || len == 0, FALSE);

  if (type > G_MAXUINT16 || len > G_MAXUINT16)
    return FALSE;
  header[0] = (guint8) (type >> 8);
  header[1] = (guint8) type;
  header[2] = (guint8) (len >> 8);
  header[3] = (guint8) len;
  g_byte_array_append (out, header, sizeof header);
  if (len > 0)
    g_byte_array_append (out, payload, (guint) len);
  return TRUE;
}

gboolean
espy_api_noise_message_decode (const guint8  *data,
                               gsize          len,
                               guint32       *type,
                               const guint8 **payload,
                               gsize         *payload_len)
{
  gsize n;

  g_return_val_if_fail (data != NULL || len == 0, FALSE);

  if (len < 4)
    return FALSE;
  n = ((gsize) data[2] << 8) | data[3];
  if (len - 4 < n)
    return FALSE;
  if (type != NULL)
    *type = ((guint32) data[0] << 8) | data[1];
  if (payload != NULL)
    *payload = data + 4;
  if (payload_len != NULL)
    *payload_len = n;
  return TRUE;
}

void
espy_api_noise_prologue (GByteArray   *out,
                         const guint8 *client_hello,
                         gsize         len)
{
  guint8 len_be[2];

  g_return_if_fail (out != NULL);
  g_return_if_fail (client_hello != NULL || len == 0);
  g_return_if_fail (len <= G_MAXUINT16);

  len_be[0] = (guint8) (len >> 8);
  len_be[1] = (guint8) len;
  g_byte_array_append (out, (const guint8 *) NOISE_PROLOGUE_PREFIX, strlen (NOISE_PROLOGUE_PREFIX));
  g_byte_array_append (out, len_be, sizeof len_be);
  if (len > 0)
    g_byte_array_append (out, client_hello, (guint) len);
}

void
espy_api_noise_server_hello_encode (GByteArray *out,
                                    const char *name,
                                    const char *mac)
{
  const guint8 protocol = ESPY_API_NOISE_PROTOCOL_VERSION;

  g_return_if_fail (out != NULL);

  g_byte_array_append (out, &protocol, 1);
  if (name == NULL)
    name = "";
  /* Both strings with their NUL, as the firmware writes them. */
  g_byte_array_append (out, (const guint8 *) name, (guint) strlen (name) + 1);
  if (mac != NULL)
    g_byte_array_append (out, (const guint8 *) mac, (guint) strlen (mac) + 1);
}

/* One NUL-terminated (or unterminated, at the end) string at *POS. */
static char *
take_string (const guint8 *body,
             gsize         len,
             gsize        *pos)
{
  const guint8 *start = body + *pos;
  const guint8 *nul;
  gsize n;

  if (*pos >= len)
    return NULL;
  nul = memchr (start, '\0', len - *pos);
  n = nul != NULL ? (gsize) (nul - start) : len - *pos;
  *pos += n + (nul != NULL ? 1 : 0);
  return g_utf8_make_valid ((const char *) start, (gssize) n);
}

gboolean
espy_api_noise_server_hello_parse (const guint8  *body,
                                   gsize          len,
                                   char         **name,
                                   char         **mac)
{
  gsize pos = 1;
  g_autofree char *n = NULL;
  g_autofree char *m = NULL;

  g_return_val_if_fail (body != NULL || len == 0, FALSE);

  if (name != NULL)
    *name = NULL;
  if (mac != NULL)
    *mac = NULL;
  if (len < 1 || body[0] != ESPY_API_NOISE_PROTOCOL_VERSION)
    return FALSE;

  n = take_string (body, len, &pos);
  m = take_string (body, len, &pos);
  /* Empty strings carry nothing: report them as absent. */
  if (name != NULL && n != NULL && *n != '\0')
    *name = g_steal_pointer (&n);
  if (mac != NULL && m != NULL && *m != '\0')
    *mac = g_steal_pointer (&m);
  return TRUE;
}

void
espy_api_noise_reject_encode (GByteArray *out,
                              const char *reason)
{
  const guint8 reject = 0x01;

  g_return_if_fail (out != NULL && reason != NULL);

  g_byte_array_append (out, &reject, 1);
  g_byte_array_append (out, (const guint8 *) reason, (guint) strlen (reason));
}

char *
espy_api_noise_reject_reason (const guint8 *body,
                              gsize         len)
{
  const guint8 *end;

  g_return_val_if_fail (body != NULL || len == 0, NULL);

  if (len == 0)
    return g_strdup ("");
  if (body[0] == ESPY_API_NOISE_HANDSHAKE_OK)
    return NULL;
  /* Stop at a NUL, should a firmware add one. */
  end = memchr (body + 1, '\0', len - 1);
  return g_utf8_make_valid ((const char *) body + 1,
                            end != NULL ? (gssize) (end - (body + 1)) : (gssize) (len - 1));
}
