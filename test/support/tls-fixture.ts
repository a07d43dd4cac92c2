// A self-signed certificate for 127.0.0.1 and localhost (EC P-256, valid until 2126), for TLS tests
// only: generated with openssl req -x509 -newkey ec -days 36500. Its key protects nothing else.
export const TEST_CERT = `-----BEGIN CERTIFICATE-----
MIIBmzCCAUGgAwIBAgIUSO6ZkaGm9MdCDpgIjsN54DvvgxcwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEyODA3MzMyNFoYDzIxMjYxMTA0
MDczMzI0WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAARRMtC2rnQn74kVJidknVd6NSDf4RLa7DOOzxadQoOHVUDcwiLXK6v2
mBtqDuDrmdVKEdlGrBbiRgYyqHL51ymOo28wbTAdBgNVHQ4EFgQUdrD5WyMw+XeW
RjiUmoPVfNdTdokwHwYDVR0jBBgwFoAUdrD5WyMw+XeWRjiUmoPVfNdTdokwDwYD
VR0TAQH/BAUwAwEB/zAaBgNVHREEEzARhwR/AAABgglsb2NhbGhvc3QwCgYIKoZI
zj0EAwIDSAAwRQIhAISO1h/TwlnezM2ZyueLqMccdEGCmsQKSfa79g3kyZv1AiAP
O40Od2jG1vjOZfFWiLJNqcS9wC+cRdXkkNHDkY1LQA==
-----END CERTIFICATE-----
`;
export const TEST_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgeQi5dhdyWWN+KQfj
YqceEfeB0ihcmfeuiR/hxMqaxd+hRANCAARRMtC2rnQn74kVJidknVd6NSDf4RLa
7DOOzxadQoOHVUDcwiLXK6v2mBtqDuDrmdVKEdlGrBbiRgYyqHL51ymO
-----END PRIVATE KEY-----
`;
