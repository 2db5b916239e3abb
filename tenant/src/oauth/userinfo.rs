//! The UserInfo endpoint (OIDC Core §5.3): the claims about the person an
//! access token was issued to, as far as its scopes release them.

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::seams::crypto::CryptoBackend;
use crate::seams::database::Database;
use crate::seams::store::Store;
use crate::Tenant;

impl<S: Store, K: CryptoBackend, D: Database> Tenant<'_, S, K, D> {
    /// `GET/POST /userinfo`: the claims of the token's user that its
    /// scopes release.
    pub async fn userinfo(&self, authorization: Option<&str>) -> Result<Value> {
        let token = self
            .verify_bearer(authorization, Some(&self.userinfo_audience()))
            .await?;
        let user = self
            .user(&token.claims.sub)
            .await?
            .filter(|user| !user.blocked)
            .ok_or_else(|| Error::invalid_token("The user no longer exists or is blocked"))?;
        let mut claims = Map::new();
        claims.insert("sub".into(), user.user_id.clone().into());
        claims.extend(user.claims(&token.scope));
        Ok(Value::Object(claims))
    }
}
