// A new user whose `email` is an integer must not compile against schema.rs.
use diesel::prelude::*;
use ragchat_migrate::schema::users;

#[derive(Insertable)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg))]
struct NewUserWithNumericEmail {
    email: i64,
    username: String,
    hashed_password: String,
}

fn main() {
    let mut conn = PgConnection::establish("postgres://localhost/ragchat").unwrap();
    diesel::insert_into(users::table)
        .values(NewUserWithNumericEmail {
            email: 42,
            username: "x".into(),
            hashed_password: "h".into(),
        })
        .execute(&mut conn)
        .unwrap();
}
