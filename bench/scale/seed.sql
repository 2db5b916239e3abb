-- Seeds a tenant for the scale benchmark (scripts/bench.sh scale) and the
-- host tests of bounded queries: users of the database connection and
-- audit events, straight into the system of record. The tokens for their
-- numbers, the time (seconds) and the users' password hash (colon, then
-- users, logs, now, password_hash) are replaced before it runs. User i is `user{i}@scale.example`, named `Scale User {i}`, with
-- the search words the tenant would give them; events are one a second
-- back from :now, every tenth a failed login of user 1. One organization
-- per ten users, `customer-{i}` (six digits, so names sort as numbers)
-- with id `org_{i}` (sixteen digits); every user is a member of the first.
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :users)
INSERT INTO users (user_id, email, name, nickname, created_at, logins_count, last_login, terms, doc, version)
SELECT
    printf('auth0|%024x', i),
    printf('user%d@scale.example', i),
    printf('Scale User %d', i),
    printf('user%d', i),
    :now - i,
    0,
    NULL,
    json_array(printf('user%d@scale.example', i), 'scale.example', 'scale', 'user', printf('%d', i),
               printf('user%d', i), 'example'),
    json_object(
        'user_id', printf('auth0|%024x', i),
        'email', printf('user%d@scale.example', i),
        'email_verified', json('true'),
        'name', printf('Scale User %d', i),
        'nickname', printf('user%d', i),
        'given_name', NULL, 'family_name', NULL, 'picture', NULL,
        'blocked', json('false'),
        'password_hash', ':password_hash',
        'permissions', json_array(),
        'created_at', :now - i,
        'updated_at', :now - i,
        'session_epoch', 0),
    1
FROM n;

WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :logs)
INSERT INTO logs (log_id, type, user_id, client_id, doc)
SELECT id, type, user_id, client_id, json_object(
    'log_id', id,
    'date', strftime('%Y-%m-%dT%H:%M:%S.000Z', :now - i, 'unixepoch'),
    'type', type,
    'description', CASE type WHEN 'f' THEN 'Failed login' ELSE 'Update a client' END,
    'user_id', user_id,
    'client_id', client_id,
    'details', json_object('actor', json_object('type', 'anonymous')))
FROM (SELECT
        i,
        printf('%013d%013d', (:now - i) * 1000, i) AS id,
        CASE WHEN i % 10 = 0 THEN 'f' ELSE 'sapi' END AS type,
        CASE WHEN i % 10 = 0 THEN printf('auth0|%024x', 1) END AS user_id,
        CASE WHEN i % 10 = 0 THEN NULL ELSE 'scaleclientscaleclientscalecli00' END AS client_id
      FROM n);

WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < max(1, :users / 10))
INSERT INTO organizations (id, name, created_at, doc, version)
SELECT
    printf('org_%016d', i),
    printf('customer-%06d', i),
    :now - i,
    json_object(
        'id', printf('org_%016d', i),
        'name', printf('customer-%06d', i),
        'display_name', printf('Customer %d', i),
        'metadata', json_object(),
        'created_at', :now - i),
    1
FROM n;

INSERT INTO organization_members (organization_id, user_id, created_at)
SELECT printf('org_%016d', 1), user_id, :now FROM users;
