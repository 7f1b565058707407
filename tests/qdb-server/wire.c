/* wire.c: header fields and the path rule of the QubesDB protocol. */
#include "wire.h"

#include <string.h>

uint8_t wire_get_type(const unsigned char *raw)
{
        return raw[WIRE_OFF_TYPE];
}

uint32_t wire_get_data_len(const unsigned char *raw)
{
        uint32_t len;

        memcpy(&len, raw + WIRE_OFF_DATA_LEN, sizeof(len));
        return len;
}

void wire_set_type(unsigned char *raw, uint8_t type)
{
        raw[WIRE_OFF_TYPE] = type;
}

void wire_set_data_len(unsigned char *raw, uint32_t len)
{
        memcpy(raw + WIRE_OFF_DATA_LEN, &len, sizeof(len));
}

bool wire_terminate_path(unsigned char *raw)
{
        bool terminated = memchr(raw + WIRE_OFF_PATH, '\0', WIRE_PATH_SIZE) != NULL;

        raw[WIRE_OFF_PATH + WIRE_PATH_SIZE - 1] = '\0';
        return terminated;
}

const char *wire_path(const unsigned char *raw)
{
        return (const char *)raw + WIRE_OFF_PATH;
}

bool wire_path_is_valid(const char *path)
{
        static const char extra[] = "_/.:@-";
        size_t len = strlen(path);

        if (len == 0 || len >= WIRE_PATH_SIZE || path[0] != '/')
                return false;
        for (size_t i = 0; i < len; i++) {
                char c = path[i];

                if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
                        continue;
                if (!strchr(extra, c))
                        return false;
        }
        return true;
}

bool wire_type_is_request(unsigned type)
{
        return type <= WIRE_UNWATCH;
}

const char *wire_type_name(unsigned type)
{
        static const char *const names[] = {
                "READ", "WRITE", "MULTIREAD", "LIST", "RM", "WATCH", "UNWATCH",
                "RESP_OK", "RESP_ERROR_NOENT", "RESP_ERROR", "RESP_READ",
                "RESP_MULTIREAD", "RESP_LIST", "RESP_WATCH",
        };

        return type < sizeof(names) / sizeof(names[0]) ? names[type] : "UNKNOWN";
}
