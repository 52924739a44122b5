//! Why an app can't start: every problem found while building it, each typed, named
//! and placed, reported all at once by [`App::into_router`](crate::App::into_router),
//! [`serve`](crate::App::serve) and [`run`](crate::App::run).

use std::fmt;

/// What kind of mistake a start-up [`Problem`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProblemKind {
    /// One method on one path shape is defined twice (across mounts or `App::route`).
    DuplicateRoute,
    /// Two paths axum's router can't hold together (a parameter beside a
    /// rest-of-path parameter, differently named parameters at one position).
    RouterConflict,
    /// A malformed path, mount prefix or static-files prefix.
    BadPath,
    /// A method kiln can't route, or a route answering no method.
    BadMethod,
    /// A handler needs something the app doesn't provide (a `State<T>` nobody
    /// manages, `Db` without a database): a failed [`Sentinel`](crate::Sentinel).
    Missing,
    /// More than one argument of a handler reads the request body.
    TwoBodies,
    /// A type given to `App::manage` twice.
    ManagedTwice,
    /// Two catchers for one status.
    DuplicateCatcher,
    /// A static folder that can't be served, or an invalid option of it.
    StaticFiles,
    /// The address to serve on: a bad `HOST` or `PORT`, or a socket that can't listen.
    Address,
    /// A missing or invalid setting, such as the secret key of a release build.
    Config,
    /// The live database lacks a table or column the models need: migrate.
    Schema,
}

/// One reason the app can't start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    kind: ProblemKind,
    subject: String,
    location: Option<String>,
    message: String,
}

impl Problem {
    /// A problem of `kind` about `subject` (the route, handler or type involved),
    /// defined at `location` (`file:line`) if known, worded `message` for the user.
    pub(crate) fn new(
        kind: ProblemKind,
        subject: impl Into<String>,
        location: Option<String>,
        message: impl Into<String>,
    ) -> Problem {
        Problem {
            kind,
            subject: subject.into(),
            location,
            message: message.into(),
        }
    }

    /// What kind of mistake it is.
    pub fn kind(&self) -> ProblemKind {
        self.kind
    }

    /// The route, handler, catcher or type involved: `GET /book/<id>`, `book`, `404`.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// Where the thing involved was defined (`src/main.rs:12`), if known.
    pub fn location(&self) -> Option<&str> {
        self.location.as_deref()
    }

    /// The whole message, as printed.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Every problem that stops an app from starting. Its `Display` lists them all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchError {
    problems: Vec<Problem>,
}

impl LaunchError {
    /// The problems, in the order they were found.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }
}

impl From<Vec<Problem>> for LaunchError {
    fn from(problems: Vec<Problem>) -> LaunchError {
        LaunchError { problems }
    }
}

impl From<Problem> for LaunchError {
    fn from(problem: Problem) -> LaunchError {
        LaunchError {
            problems: vec![problem],
        }
    }
}

impl fmt::Display for LaunchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the app can't start:")?;
        for p in &self.problems {
            write!(f, "\n  - {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LaunchError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_every_problem() {
        let err = LaunchError::from(vec![
            Problem::new(
                ProblemKind::Missing,
                "index",
                Some("a.rs:1".into()),
                "no db",
            ),
            Problem::new(
                ProblemKind::Address,
                "PORT",
                None,
                "PORT must be a port number",
            ),
        ]);
        assert_eq!(
            err.to_string(),
            "the app can't start:\n  - no db\n  - PORT must be a port number"
        );
        assert_eq!(err.problems()[0].kind(), ProblemKind::Missing);
        assert_eq!(err.problems()[0].location(), Some("a.rs:1"));
        assert_eq!(err.problems()[1].subject(), "PORT");
    }
}
