// `users.email` is varchar: comparing it with an integer must not compile.
use diesel::prelude::*;
use ragchat_migrate::models::User;
use ragchat_migrate::schema::users;

fn main() {
    let mut conn = PgConnection::establish("postgres://localhost/ragchat").unwrap();
    let _found: Vec<User> = users::table
        .filter(users::email.eq(42))
        .select(User::as_select())
        .load(&mut conn)
        .unwrap();
}
