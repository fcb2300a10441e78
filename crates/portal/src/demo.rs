//! The demo account that `sxadmin portal serve --demo` seeds, so that a new user can try
//! every screen at once. Seeding is idempotent: a second start finds the account and leaves
//! it (and whatever was changed in it) as it is.

use sxadmin_core::{Account, LicenceTier, NewUser, Role};

use crate::store::{Actor, Store, StoreResult};

pub const DEMO_ACCOUNT: &str = "Demo Inc.";
pub const DEMO_ADMIN: &str = "admin@demo.example";
pub const DEMO_DOMAIN: &str = "demo.example";

const STANDARD_USERS: &[(&str, &str, &str)] = &[
    ("camille.tremblay@demo.example", "Camille", "Tremblay"),
    ("noah.gagnon@demo.example", "Noah", "Gagnon"),
    ("lea.roy@demo.example", "Léa", "Roy"),
    ("liam.cote@demo.example", "Liam", "Côté"),
    ("emma.bouchard@demo.example", "Emma", "Bouchard"),
];

/// Creates the demo account if it does not exist; returns it and whether it was created now.
pub async fn seed(store: &dyn Store) -> StoreResult<(Account, bool)> {
    if let Some(account) = store.account_by_name(DEMO_ACCOUNT).await? {
        return Ok((account, false));
    }
    let account = store.create_account(DEMO_ACCOUNT).await?;
    let actor = Actor::system("portal-demo");
    let domain = store
        .request_domain(
            account.id,
            &actor,
            DEMO_DOMAIN,
            &crate::secrets::new_token(""),
        )
        .await?;
    store.approve_domain(account.id, &actor, domain.id).await?;
    store
        .create_user(
            account.id,
            &actor,
            &NewUser {
                email: DEMO_ADMIN.into(),
                first_name: "Alex".into(),
                last_name: "Morin".into(),
                language: None,
                role: Some(Role::Administrator),
            },
        )
        .await?;
    for (email, first, last) in STANDARD_USERS {
        store
            .create_user(
                account.id,
                &actor,
                &NewUser {
                    email: (*email).into(),
                    first_name: (*first).into(),
                    last_name: (*last).into(),
                    ..NewUser::default()
                },
            )
            .await?;
    }
    for (tier, count) in [
        (LicenceTier::Eco, 10),
        (LicenceTier::Advanced, 5),
        (LicenceTier::Pro, 2),
    ] {
        store
            .purchase_licences(account.id, &actor, tier, count)
            .await?;
    }
    Ok((account, true))
}
