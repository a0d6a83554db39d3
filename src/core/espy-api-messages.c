/* espy-api-messages.c
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "espy-api-messages.h"

#include "espy-api-frame.h"

typedef struct {
  guint32 type;
  const char *name;
  const ProtobufCMessageDescriptor *descriptor;
} MessageInfo;

/* The firmware declares ids with a custom option in its api.proto; protoc-c
 * does not expose those, so the mapping lives here. */
static const MessageInfo messages[] = {
  { ESPY_API_MSG_HELLO_REQUEST, "HelloRequest", &espy_api__hello_request__descriptor },
  { ESPY_API_MSG_HELLO_RESPONSE, "HelloResponse", &espy_api__hello_response__descriptor },
  { ESPY_API_MSG_CONNECT_REQUEST, "ConnectRequest", &espy_api__connect_request__descriptor },
  { ESPY_API_MSG_CONNECT_RESPONSE, "ConnectResponse", &espy_api__connect_response__descriptor },
  { ESPY_API_MSG_DISCONNECT_REQUEST, "DisconnectRequest", &espy_api__disconnect_request__descriptor },
  { ESPY_API_MSG_DISCONNECT_RESPONSE, "DisconnectResponse", &espy_api__disconnect_response__descriptor },
  { ESPY_API_MSG_PING_REQUEST, "PingRequest", &espy_api__ping_request__descriptor },
  { ESPY_API_MSG_PING_RESPONSE, "PingResponse", &espy_api__ping_response__descriptor },
  { ESPY_API_MSG_DEVICE_INFO_REQUEST, "DeviceInfoRequest", &espy_api__device_info_request__descriptor },
  { ESPY_API_MSG_DEVICE_INFO_RESPONSE, "DeviceInfoResponse", &espy_api__device_info_response__descriptor },
  { ESPY_API_MSG_SUBSCRIBE_LOGS_REQUEST, "SubscribeLogsRequest", &espy_api__subscribe_logs_request__descriptor },
  { ESPY_API_MSG_SUBSCRIBE_LOGS_RESPONSE, "SubscribeLogsResponse", &espy_api__subscribe_logs_response__descriptor },
  { ESPY_API_MSG_GET_TIME_REQUEST, "GetTimeRequest", &espy_api__get_time_request__descriptor },
  { ESPY_API_MSG_GET_TIME_RESPONSE, "GetTimeResponse", &espy_api__get_time_response__descriptor },
  { ESPY_API_MSG_NOISE_ENCRYPTION_SET_KEY_REQUEST, "NoiseEncryptionSetKeyRequest",
    &espy_api__noise_encryption_set_key_request__descriptor },
  { ESPY_API_MSG_NOISE_ENCRYPTION_SET_KEY_RESPONSE, "NoiseEncryptionSetKeyResponse",
    &espy_api__noise_encryption_set_key_response__descriptor },
};

static const MessageInfo *
lookup_type (guint32 type)
{
  for (guint i = 0; i < G_N_ELEMENTS (messages); i++)
    if (messages[i].type == type)
      return &messages[i];
  return NULL;
}

const ProtobufCMessageDescriptor *
espy_api_message_descriptor (guint32 type)
{
  const MessageInfo *info = lookup_type (type);

  return info != NULL ? info->descriptor : NULL;
}

const char *
espy_api_message_type_name (guint32 type)
{
  const MessageInfo *info = lookup_type (type);

  return info != NULL ? info->name : NULL;
}

guint32
espy_api_message_type (const ProtobufCMessage *message)
{
  g_return_val_if_fail (message != NULL, 0);

  for (guint i = 0; i < G_N_ELEMENTS (messages); i++)
    if (messages[i].descriptor == message->descriptor)
      return messages[i].type;
  return 0;
}

GBytes *
espy_api_message_pack (const ProtobufCMessage *message)
{
  gsize size;
  guint8 *data;

  g_return_val_if_fail (message != NULL, NULL);

  size = protobuf_c_message_get_packed_size (message);
  data = g_malloc (size > 0 ? size : 1);
  protobuf_c_message_pack (message, data);
  return g_bytes_new_take (data, size);
}

void
espy_api_message_append_plaintext (GByteArray             *out,
                                   const ProtobufCMessage *message)
{
  g_autoptr(GBytes) bytes = NULL;
  guint32 type;

  g_return_if_fail (out != NULL && message != NULL);
  type = espy_api_message_type (message);
  g_return_if_fail (type != 0);

  bytes = espy_api_message_pack (message);
  espy_api_frame_encode_plaintext (out, type,
                                   g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

gboolean
espy_api_message_append_noise (GByteArray             *out,
                               const ProtobufCMessage *message)
{
  g_autoptr(GBytes) bytes = NULL;
  guint32 type;

  g_return_val_if_fail (out != NULL && message != NULL, FALSE);
  type = espy_api_message_type (message);
  g_return_val_if_fail (type != 0, FALSE);

  bytes = espy_api_message_pack (message);
  return espy_api_noise_message_encode (out, type,
                                        g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

ProtobufCMessage *
espy_api_message_unpack (guint32       type,
                         const guint8 *data,
                         gsize         len)
{
  const ProtobufCMessageDescriptor *descriptor = espy_api_message_descriptor (type);
  static const guint8 empty[1] = { 0 };

  g_return_val_if_fail (data != NULL || len == 0, NULL);

  if (descriptor == NULL)
    return NULL;
  /* protobuf-c wants a pointer even for an empty message. */
  return protobuf_c_message_unpack (descriptor, NULL, len, data != NULL ? data : empty);
}

void
espy_api_message_free (gpointer message)
{
  if (message != NULL)
    protobuf_c_message_free_unpacked (message, NULL);
}

char *
espy_api_log_message_to_string (const EspyApi__SubscribeLogsResponse *response)
{
  g_return_val_if_fail (response != NULL, NULL);

  if (response->message.len == 0 || response->message.data == NULL)
    return g_strdup ("");
  return g_utf8_make_valid ((const char *) response->message.data, (gssize) response->message.len);
}

const char *
espy_api_log_level_to_string (EspyApiLogLevel level)
{
  switch (level)
    {
    case ESPY_API_LOG_LEVEL_NONE: return "NONE";
    case ESPY_API_LOG_LEVEL_ERROR: return "ERROR";
    case ESPY_API_LOG_LEVEL_WARN: return "WARN";
    case ESPY_API_LOG_LEVEL_INFO: return "INFO";
    case ESPY_API_LOG_LEVEL_CONFIG: return "CONFIG";
    case ESPY_API_LOG_LEVEL_DEBUG: return "DEBUG";
    case ESPY_API_LOG_LEVEL_VERBOSE: return "VERBOSE";
    case ESPY_API_LOG_LEVEL_VERY_VERBOSE: return "VERY_VERBOSE";
    default: return "UNKNOWN";
    }
}
