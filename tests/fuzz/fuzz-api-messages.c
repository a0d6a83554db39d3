/* fuzz-api-messages.c: libFuzzer target for the native API protobuf decoding
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "espy-api-messages.h"
#include "fuzz-common.h"

/* Every message type the client or the simulator decodes. The first byte
 * picks one; the rest is its payload as it arrives in a frame. */
static const guint32 types[] = {
  ESPY_API_MSG_HELLO_REQUEST,
  ESPY_API_MSG_HELLO_RESPONSE,
  ESPY_API_MSG_CONNECT_REQUEST,
  ESPY_API_MSG_CONNECT_RESPONSE,
  ESPY_API_MSG_DISCONNECT_REQUEST,
  ESPY_API_MSG_DISCONNECT_RESPONSE,
  ESPY_API_MSG_PING_REQUEST,
  ESPY_API_MSG_PING_RESPONSE,
  ESPY_API_MSG_DEVICE_INFO_REQUEST,
  ESPY_API_MSG_DEVICE_INFO_RESPONSE,
  ESPY_API_MSG_SUBSCRIBE_LOGS_REQUEST,
  ESPY_API_MSG_SUBSCRIBE_LOGS_RESPONSE,
  ESPY_API_MSG_GET_TIME_REQUEST,
  ESPY_API_MSG_GET_TIME_RESPONSE,
  ESPY_API_MSG_NOISE_ENCRYPTION_SET_KEY_REQUEST,
  ESPY_API_MSG_NOISE_ENCRYPTION_SET_KEY_RESPONSE,
  0,   /* unknown types must be refused, not crash */
  999,
};

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(ProtobufCMessage) message = NULL;
  guint32 type;

  fuzz_init_logging ();
  if (size < 1)
    return 0;
  type = types[data[0] % G_N_ELEMENTS (types)];
  (void) espy_api_message_type_name (type);

  message = espy_api_message_unpack (type, data + 1, size - 1);
  if (message == NULL)
    return 0;

  g_assert (espy_api_message_type (message) == type);

  if (type == ESPY_API_MSG_SUBSCRIBE_LOGS_RESPONSE)
    {
      g_autofree char *text = espy_api_log_message_to_string ((const EspyApi__SubscribeLogsResponse *) message);

      (void) espy_api_log_level_to_string ((EspyApiLogLevel) ((const EspyApi__SubscribeLogsResponse *) message)->level);
      (void) text;
    }

  /* What was understood packs again, and unpacks to the same type.
   * Unknown fields are copied through as they came; protobuf-c 1.4 accepts
   * a non-canonical field number 0 ("80 00") that it then refuses in the
   * canonical form it writes, so those are exempt. */
  {
    g_autoptr(GBytes) packed = espy_api_message_pack (message);
    g_autoptr(ProtobufCMessage) again = NULL;
    gsize len = 0;
    const guint8 *bytes = g_bytes_get_data (packed, &len);

    again = espy_api_message_unpack (type, bytes, len);
    g_assert (again != NULL || message->n_unknown_fields > 0);
  }
  return 0;
}
