//! `/console/help`: the help centre's articles for staff, with their votes, a form to write
//! one (engineers and up) and, per article, an editor: the console face of the operations
//! `POST`/`PUT /api/v1/help/articles` call too.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use minijinja::{context, Value};
use serde::Deserialize;
use tocsin_app::help::Language;
use tocsin_app::ops::ArticleDraft;
use tocsin_app::{Action, Refused};

use super::{env, markdown_html};
use crate::auth::{act, May, Principal, Refusal, Staff};
use crate::App;

type Page = Result<Response, Refusal>;

/// The article form as submitted.
#[derive(Deserialize, Default, Clone)]
pub(crate) struct ArticleForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
}

/// `?done=created|saved` after a change.
#[derive(Deserialize, Default)]
pub(crate) struct Done {
    #[serde(default)]
    done: Option<String>,
}

fn flash(done: Option<&str>) -> Option<&'static str> {
    match done? {
        "created" => Some("Article published."),
        "saved" => Some("Article saved."),
        _ => None,
    }
}

/// What every console page shows (as `console::frame` does for its own pages).
fn frame(who: &Principal, flash: Option<&'static str>) -> Value {
    context! {
        who => who.login,
        role => who.role.as_str(),
        csrf => who.csrf(),
        section => "help",
        flash,
        may_write => who.role.may(Action::WriteHelp),
        languages => Language::ALL.iter().map(|l| l.code()).collect::<Vec<_>>(),
    }
}

async fn show_list(
    app: &App,
    who: &Principal,
    form: ArticleForm,
    error: Option<(StatusCode, String)>,
    done: Option<&str>,
) -> Page {
    let list = app.help_articles_for_staff(who).await?;
    let rows: Vec<Value> = list
        .iter()
        .map(|a| {
            context! {
                slug => a.slug, language => a.language, title => a.title,
                updated_by => a.updated_by, updated => tocsin_model::time::human(a.updated_ms),
                helpful => a.helpful, unhelpful => a.unhelpful,
            }
        })
        .collect();
    let (status, error) = match error {
        Some((s, m)) => (s, Some(m)),
        None => (StatusCode::OK, None),
    };
    Ok(crate::ui::render_with(
        env(),
        "help/console.html",
        context! {
            ..frame(who, flash(done)),
            ..context! {
                heading => "Help centre",
                articles => rows,
                error,
                form => context! {
                    slug => form.slug, language => form.language, title => form.title,
                    body => form.body,
                },
            }
        },
        status,
    ))
}

/// `GET /console/help` (staff).
pub(crate) async fn list(
    State(app): State<Arc<App>>,
    Staff(who): Staff,
    Query(q): Query<Done>,
) -> Page {
    let form = ArticleForm {
        language: "en".into(),
        ..ArticleForm::default()
    };
    show_list(&app, &who, form, None, q.done.as_deref()).await
}

fn draft(form: &ArticleForm) -> ArticleDraft {
    ArticleDraft {
        slug: form.slug.clone(),
        language: form.language.clone(),
        title: form.title.clone(),
        body: form.body.clone(),
    }
}

/// A refusal the form shows beside itself, or one that is the whole answer.
fn trouble(e: Refused) -> Result<(StatusCode, String), Refusal> {
    match e {
        Refused::Invalid { message, .. } => Ok((StatusCode::BAD_REQUEST, message)),
        Refused::Conflict(message) => Ok((StatusCode::CONFLICT, message)),
        other => Err(other.into()),
    }
}

/// `POST /console/help` (engineers).
pub(crate) async fn create(
    State(app): State<Arc<App>>,
    May(who, _): May<act::WriteHelp>,
    Form(form): Form<ArticleForm>,
) -> Page {
    who.check_csrf(form.csrf.as_deref())?;
    match app.write_help_article(&who, draft(&form), true).await {
        Ok(a) => Ok(Redirect::to(&edit_path(&a.slug, &a.language, "created")).into_response()),
        Err(e) => {
            let error = trouble(e)?;
            show_list(&app, &who, form, Some(error), None).await
        }
    }
}

fn edit_path(slug: &str, language: &str, done: &str) -> String {
    format!(
        "/console/help/{}/{}?done={done}",
        crate::ui::url_encode(slug),
        crate::ui::url_encode(language)
    )
}

async fn show_edit(
    app: &App,
    who: &Principal,
    form: ArticleForm,
    error: Option<(StatusCode, String)>,
    done: Option<&str>,
) -> Page {
    let (status, error) = match error {
        Some((s, m)) => (s, Some(m)),
        None => (StatusCode::OK, None),
    };
    let preview = Value::from_safe_string(markdown_html(&form.body));
    let listing = app
        .help_articles_for_staff(who)
        .await?
        .into_iter()
        .find(|a| a.slug == form.slug && a.language == form.language);
    Ok(crate::ui::render_with(
        env(),
        "help/edit.html",
        context! {
            ..frame(who, flash(done)),
            ..context! {
                heading => format!("Help article {} ({})", form.slug, form.language),
                error,
                preview,
                votes => listing.map(|l| context! { helpful => l.helpful, unhelpful => l.unhelpful }),
                form => context! {
                    slug => form.slug, language => form.language, title => form.title,
                    body => form.body,
                },
            }
        },
        status,
    ))
}

/// `GET /console/help/{slug}/{language}` (staff): the article's editor and preview.
pub(crate) async fn edit(
    State(app): State<Arc<App>>,
    Staff(who): Staff,
    Path((slug, language)): Path<(String, String)>,
    Query(q): Query<Done>,
) -> Page {
    let found = app
        .help_translations(&slug)
        .await?
        .into_iter()
        .find(|a| a.language == language);
    let Some(a) = found else {
        return Err(Refusal::NotFound(format!(
            "no help article `{slug}` in `{language}`"
        )));
    };
    let form = ArticleForm {
        csrf: None,
        slug: a.slug,
        language: a.language,
        title: a.title,
        body: a.body,
    };
    show_edit(&app, &who, form, None, q.done.as_deref()).await
}

/// `POST /console/help/{slug}/{language}` (engineers): saves the article.
pub(crate) async fn save(
    State(app): State<Arc<App>>,
    May(who, _): May<act::WriteHelp>,
    Path((slug, language)): Path<(String, String)>,
    Form(mut form): Form<ArticleForm>,
) -> Page {
    who.check_csrf(form.csrf.as_deref())?;
    form.slug = slug;
    form.language = language;
    match app.write_help_article(&who, draft(&form), false).await {
        Ok(a) => Ok(Redirect::to(&edit_path(&a.slug, &a.language, "saved")).into_response()),
        Err(e) => {
            let error = trouble(e)?;
            show_edit(&app, &who, form, Some(error), None).await
        }
    }
}
